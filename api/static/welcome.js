// Set a password with a one-time link: the token is in the page's address.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const token = new URLSearchParams(location.search).get("token") || "";
  document.getElementById("welcome-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = new FormData(event.target).get("password");
    const response = await fetch("/api/v1/auth/password", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token, password }),
    });
    const body = await response.json();
    const box = document.getElementById("problems");
    if (!response.ok) {
      box.textContent = Array.isArray(body.detail)
        ? body.detail.map((p) => `${p.field}: ${p.reason}`).join("; ") : String(body.detail);
      return;
    }
    box.textContent = "";
    event.target.hidden = true;
    document.getElementById("welcome-done").hidden = false;
  });
});
