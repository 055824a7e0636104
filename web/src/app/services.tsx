// The app's long-lived objects (API client, session manager), handed to components by context.

import { createContext, type ReactNode, useContext, useSyncExternalStore } from "react";

import type { TesseraApi } from "../api/tessera";
import type { SessionManager, SessionsState } from "../session/sessions";

export interface Services {
  api: TesseraApi;
  sessions: SessionManager;
}

const ServicesContext = createContext<Services | null>(null);

export function ServicesProvider({ services, children }: { services: Services; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (services === null) {
    throw new Error("useServices needs a ServicesProvider");
  }
  return services;
}

export function useApi(): TesseraApi {
  return useServices().api;
}

export function useSessions(): SessionsState {
  const { sessions } = useServices();
  return useSyncExternalStore(sessions.subscribe, sessions.getSnapshot);
}
