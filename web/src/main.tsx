import { createRoot } from "react-dom/client";

import { ApiClient } from "./api/client";
import { TesseraApi } from "./api/tessera";
import { App } from "./app/App";
import { ServicesProvider } from "./app/services";
import { SessionManager } from "./session/sessions";
import "./styles.css";

// Same origin by default (the service serves this app); VITE_API_BASE_URL at build time points
// it elsewhere.
const client = new ApiClient({ baseUrl: import.meta.env.VITE_API_BASE_URL ?? "" });
const sessions = new SessionManager(client);
client.setAuthenticator(sessions);
const api = new TesseraApi(client);
// A reload or a new tab: the users whose refresh cookies this browser holds are signed in again.
void sessions.restore();

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <ServicesProvider services={{ api, sessions }}>
      <App />
    </ServicesProvider>,
  );
}
