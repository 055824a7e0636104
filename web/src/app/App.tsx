// The layout (skip link, header with navigation and session, main, footer) and the routes,
// each with who may see it.

import { type MouseEvent, type ReactNode, useEffect, useState } from "react";

import { AccountsPage } from "../pages/Accounts";
import { CardRegistrationPage } from "../pages/CardRegistration";
import { CardsPage } from "../pages/Cards";
import { CardStatusPage } from "../pages/CardStatus";
import { CertificatesPage } from "../pages/Certificates";
import { LoginPage } from "../pages/Login";
import { MovementPage } from "../pages/Movement";
import { OpenAccountPage } from "../pages/OpenAccount";
import { OverviewPage } from "../pages/Overview";
import { ApiClientsPage } from "../pages/staff/ApiClients";
import { StaffOverviewPage } from "../pages/staff/StaffOverview";
import { WebhookDeliveriesPage, WebhooksPage } from "../pages/staff/Webhooks";
import { ForbiddenPage, NotFoundPage } from "../pages/Simple";
import { SignupPage } from "../pages/Signup";
import { StatementPage } from "../pages/Statement";
import { AuditLogPage } from "../pages/staff/AuditLog";
import { DeliveryImportsPage } from "../pages/staff/DeliveryImports";
import { HoldersPage } from "../pages/staff/Holders";
import { RegistrationsPage } from "../pages/staff/Registrations";
import { TeamPage } from "../pages/staff/Team";
import { TransferPage } from "../pages/Transfer";
import { isAdmin, isStaff, type SessionView } from "../session/sessions";
import { Announcer } from "../ui/announcer";
import { IdleWarning, SessionBar } from "../ui/SessionBar";
import { Link, matchPath, Redirect, useLocation } from "./router";
import { useServices, useSessions } from "./services";

type Access = "public" | "signed-in" | "customer" | "staff" | "admin";

interface RouteDef {
  path: string;
  access: Access;
  render: (session: SessionView | null, params: Record<string, string>) => ReactNode;
}

const signedIn = (render: (session: SessionView, params: Record<string, string>) => ReactNode) =>
  (session: SessionView | null, params: Record<string, string>) => (session ? render(session, params) : null);

const ROUTES: readonly RouteDef[] = [
  { path: "/login", access: "public", render: () => <LoginPage /> },
  { path: "/signup", access: "public", render: () => <SignupPage /> },
  { path: "/overview", access: "customer", render: signedIn((s) => <OverviewPage session={s} />) },
  { path: "/staff/overview", access: "staff", render: signedIn((s) => <StaffOverviewPage session={s} />) },
  { path: "/staff/webhooks", access: "admin", render: () => <WebhooksPage /> },
  {
    path: "/staff/webhooks/:endpointId",
    access: "admin",
    render: (_s, p) => <WebhookDeliveriesPage key={p["endpointId"]} endpointId={p["endpointId"] ?? ""} />,
  },
  { path: "/staff/clients", access: "admin", render: signedIn((s) => <ApiClientsPage session={s} />) },
  { path: "/accounts", access: "signed-in", render: signedIn((s) => <AccountsPage session={s} />) },
  { path: "/accounts/new", access: "signed-in", render: signedIn((s) => <OpenAccountPage session={s} />) },
  { path: "/money", access: "signed-in", render: signedIn((s) => <MovementPage session={s} />) },
  { path: "/transfer", access: "signed-in", render: signedIn((s) => <TransferPage session={s} />) },
  { path: "/statements", access: "signed-in", render: signedIn((s) => <StatementPage session={s} accountId={null} />) },
  {
    path: "/statements/:accountId",
    access: "signed-in",
    render: signedIn((s, p) => <StatementPage key={p["accountId"]} session={s} accountId={p["accountId"] ?? null} />),
  },
  { path: "/cards", access: "signed-in", render: signedIn((s) => <CardsPage session={s} />) },
  { path: "/cards/register", access: "signed-in", render: signedIn((s) => <CardRegistrationPage session={s} />) },
  { path: "/cards/status", access: "signed-in", render: signedIn((s) => <CardStatusPage session={s} />) },
  { path: "/certificates", access: "signed-in", render: signedIn((s) => <CertificatesPage session={s} />) },
  { path: "/staff/registrations", access: "staff", render: signedIn((s) => <RegistrationsPage session={s} />) },
  { path: "/staff/deliveries", access: "staff", render: () => <DeliveryImportsPage /> },
  { path: "/staff/holders", access: "staff", render: () => <HoldersPage /> },
  { path: "/staff/team", access: "admin", render: signedIn((s) => <TeamPage session={s} />) },
  { path: "/staff/audit", access: "admin", render: () => <AuditLogPage /> },
];

interface NavItem {
  to: string;
  label: string;
}

function navItems(session: SessionView | null): NavItem[] {
  if (!session) {
    return [
      { to: "/login", label: "Log in" },
      { to: "/signup", label: "Create an account" },
    ];
  }
  if (isStaff(session.role)) {
    return [
      { to: "/staff/overview", label: "Today" },
      { to: "/staff/registrations", label: "Registrations" },
      { to: "/cards/register", label: "Register a card" },
      { to: "/cards", label: "Cards" },
      { to: "/cards/status", label: "Card delivery" },
      { to: "/staff/deliveries", label: "Courier files" },
      { to: "/accounts", label: "Accounts" },
      { to: "/staff/holders", label: "Account holders" },
      { to: "/certificates", label: "Certificates" },
      ...(isAdmin(session.role)
        ? [
            { to: "/staff/team", label: "Staff" },
            { to: "/staff/webhooks", label: "Webhooks" },
            { to: "/staff/clients", label: "API clients" },
            { to: "/staff/audit", label: "Audit log" },
          ]
        : []),
    ];
  }
  return [
    { to: "/overview", label: "Overview" },
    { to: "/accounts", label: "Accounts" },
    { to: "/accounts/new", label: "Open an account" },
    { to: "/money", label: "Deposit or withdraw" },
    { to: "/transfer", label: "Transfer" },
    { to: "/statements", label: "Statements" },
    { to: "/cards", label: "Cards" },
    { to: "/cards/register", label: "Register a card" },
    { to: "/cards/status", label: "Card delivery" },
    { to: "/certificates", label: "Certificates" },
  ];
}

function homeFor(session: SessionView | null): string {
  if (!session) {
    return "/login";
  }
  return isStaff(session.role) ? "/staff/overview" : "/overview";
}

function isCurrent(item: NavItem, pathname: string): boolean {
  // Pages under these have their own navigation entries ("/accounts/new", "/cards/status").
  if (item.to === "/accounts" || item.to === "/cards") {
    return pathname === item.to;
  }
  return pathname === item.to || pathname.startsWith(`${item.to}/`);
}

function resolve(pathname: string, search: string, session: SessionView | null, restoring: boolean): ReactNode {
  if (restoring && !session) {
    return (
      <p className="loading" role="status" data-testid="restoring">
        Signing you back in…
      </p>
    );
  }
  if (pathname === "/" || pathname === "") {
    return <Redirect to={homeFor(session)} />;
  }
  for (const route of ROUTES) {
    const params = matchPath(route.path, pathname);
    if (params === null) {
      continue;
    }
    if (route.access !== "public" && !session) {
      const next = encodeURIComponent(`${pathname}${search}`);
      return <Redirect to={`/login?next=${next}`} />;
    }
    if (session && route.access === "staff" && !isStaff(session.role)) {
      return <ForbiddenPage who="firm staff" />;
    }
    if (session && route.access === "admin" && !isAdmin(session.role)) {
      return <ForbiddenPage who="firm administrators" />;
    }
    if (session && route.access === "customer" && isStaff(session.role)) {
      return <ForbiddenPage who="customers" />;
    }
    return route.render(session, params);
  }
  return <NotFoundPage />;
}

function skipToMain(event: MouseEvent<HTMLAnchorElement>) {
  event.preventDefault();
  const main = document.getElementById("main");
  main?.focus();
  main?.scrollIntoView();
}

export function App() {
  const { sessions } = useServices();
  const state = useSessions();
  const { pathname, search } = useLocation();
  const session = state.active;

  useEffect(() => {
    // A key press or a click means the person is here: sessions may be renewed.
    const onActivity = () => {
      sessions.noteActivity();
    };
    window.addEventListener("keydown", onActivity, { capture: true, passive: true });
    window.addEventListener("pointerdown", onActivity, { capture: true, passive: true });
    return () => {
      window.removeEventListener("keydown", onActivity, { capture: true });
      window.removeEventListener("pointerdown", onActivity, { capture: true });
    };
  }, [sessions]);

  const items = navItems(session);
  const [menuOpen, setMenuOpen] = useState(false);
  // Going somewhere closes the phone menu.
  const [menuFor, setMenuFor] = useState(pathname);
  if (menuFor !== pathname) {
    setMenuFor(pathname);
    setMenuOpen(false);
  }

  return (
    <>
      <a className="skip-link" href="#main" onClick={skipToMain}>
        Skip to main content
      </a>
      <header className="site-header">
        <div className="header-inner">
          <Link to="/" className="brand">
            Tessera<span className="visually-hidden">, home</span>
          </Link>
          <div className="header-tools">
            <button
              type="button"
              className="menu-toggle"
              aria-expanded={menuOpen}
              aria-controls="main-nav"
              onClick={() => {
                setMenuOpen((open) => !open);
              }}
            >
              <span aria-hidden="true">☰</span> <span className="menu-label">Menu</span>
            </button>
            <SessionBar />
          </div>
        </div>
        <nav aria-label="Main" className="main-nav" id="main-nav" data-open={menuOpen ? "true" : "false"}>
          <ul>
            {items.map((item) => (
              <li key={item.to}>
                <Link to={item.to} aria-current={isCurrent(item, pathname) ? "page" : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <IdleWarning />
        {resolve(pathname, search, session, state.restoring)}
      </main>
      <footer className="site-footer">
        <p>
          Tessera · <a href="/docs">API documentation</a>
        </p>
        <Announcer />
      </footer>
    </>
  );
}
