// The registry's sign-in UI: the modal sign-in dialog, `ensureSession` (sign in when a
// role is needed), and the "signed in as … · Sign out" line. The HTTP client and the token
// are in registry.js.

import {
  currentSession,
  login,
  RegistryError,
  registryBase,
  roleAtLeast,
  signOut,
} from "./registry.js";
import { h } from "./widget-base.js";

let dialogOpen = null;

/**
 * Ask for username and password in a modal dialog; resolves with the session, rejects with
 * a RegistryError (code "CANCELLED") when the reader closes it.
 * @param {string} [why] what the sign-in is for, shown in the dialog
 */
export function signInDialog(why = "") {
  if (dialogOpen) return dialogOpen;
  const user = h("input", {
    name: "username",
    autocomplete: "username",
    required: true,
    "aria-label": "Username",
  });
  const pass = h("input", {
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
    "aria-label": "Password",
  });
  const msg = h("p", { class: "qt-error qtr-signin__error", role: "alert", hidden: true });
  const submit = h("button", {
    type: "submit",
    class: "md-button md-button--primary qt-btn",
    text: "Sign in",
  });
  const cancel = h("button", { type: "button", class: "md-button qt-btn", text: "Cancel" });
  const form = h(
    "form",
    { method: "dialog", class: "qtr-signin" },
    h("h2", { text: "Sign in to the registry" }),
    why ? h("p", { text: why }) : null,
    h("p", { class: "qtr-muted", text: registryBase().href }),
    h("label", {}, "Username ", user),
    h("label", {}, "Password ", pass),
    msg,
    h("div", { class: "qt-toolbar" }, submit, cancel),
  );
  const dialog = h(
    "dialog",
    { class: "qtr-dialog", "aria-label": "Sign in to the registry" },
    form,
  );
  document.body.append(dialog);
  dialogOpen = new Promise((resolve, reject) => {
    const close = () => {
      dialogOpen = null;
      dialog.close();
      dialog.remove();
    };
    cancel.addEventListener("click", () => {
      close();
      reject(new RegistryError("sign-in cancelled", { code: "CANCELLED" }));
    });
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      cancel.click();
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      submit.disabled = true;
      msg.hidden = true;
      try {
        const session = await login(user.value.trim(), pass.value);
        close();
        resolve(session);
      } catch (err) {
        msg.hidden = false;
        msg.textContent = err.status === 401 ? "Wrong username or password." : err.message;
        pass.select();
      } finally {
        submit.disabled = false;
      }
    });
  });
  dialog.showModal();
  user.focus();
  return dialogOpen;
}

/**
 * A valid session with at least `role`, asking the reader to sign in when there is none.
 * @param {string} role
 * @param {string} [why]
 */
export async function ensureSession(role = "viewer", why = "") {
  let s = currentSession();
  if (!s) s = await signInDialog(why);
  if (!roleAtLeast(s.role, role)) {
    throw new RegistryError(`signed in as ${s.username} (${s.role}); this needs the ${role} role`, {
      status: 403,
    });
  }
  return s;
}

/**
 * A small "signed in as … · Sign out" line that follows the auth state.
 * @returns {HTMLElement}
 */
export function authLine() {
  const line = h("p", { class: "qtr-auth qtr-muted" });
  const render = () => {
    const s = currentSession();
    line.replaceChildren();
    if (s) {
      line.append(
        `Signed in as ${s.username} (${s.role}) · `,
        h("button", {
          type: "button",
          class: "qt-btn-small",
          text: "Sign out",
          onclick: () => signOut(),
        }),
      );
    } else {
      line.append("Not signed in.");
    }
  };
  document.addEventListener("qt-registry-auth", render);
  render();
  return line;
}
