"""Server-rendered pages for customers (and, later, couriers and kitchens)."""
