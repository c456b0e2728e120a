// Set a password with a one-time link: the token is in the page's address.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const token = new URLSearchParams(location.search).get("token") || "";
  document.getElementById("welcome-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = new FormData(event.target).get("password");
    const result = await Chaud.api("/auth/password", { method: "POST", json: { token, password } });
    const box = document.getElementById("problems");
    if (!result.ok) {
      box.textContent = Chaud.problemText(result.body, (field) => field);
      return;
    }
    box.textContent = "";
    event.target.hidden = true;
    document.getElementById("welcome-done").hidden = false;
  });
});
