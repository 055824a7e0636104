import { Link } from "../app/router";
import { Page } from "../ui/Page";

export function NotFoundPage() {
  return (
    <Page title="Page not found">
      <p>There is no page at this address. Check it, or start again from the home page.</p>
      <p>
        <Link to="/">Go to the home page</Link>
      </p>
    </Page>
  );
}

export function ForbiddenPage({ who }: { who: string }) {
  return (
    <Page title="Not available to you">
      <p>This page is for {who}. If you need it, ask your firm's administrator.</p>
      <p>
        <Link to="/">Go to the home page</Link>
      </p>
    </Page>
  );
}
