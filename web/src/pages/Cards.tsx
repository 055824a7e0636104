// Cards issued on accounts: listed per account, issued (virtual or physical), blocked,
// unblocked (firm staff only) and closed; a physical card shows what the couriers last said.
// The full number is never shown here: the API does not send it.

import { type SyntheticEvent, useState } from "react";

import { describeError } from "../api/errors";
import type { Account, IssuedCard, IssuedCardCreate, IssuedCardType } from "../api/types";
import { Link } from "../app/router";
import { useApi } from "../app/services";
import { type CardAction, cardActions, deliveryText, expiryText, groupByAccount, issuedCardName } from "../cards/issued";
import { isStaff, type SessionView } from "../session/sessions";
import { accountName, shortId } from "../ui/accounts";
import { announce } from "../ui/announcer";
import { ConfirmActions, Dialog } from "../ui/Dialog";
import { RadioGroup, SelectField, SubmitButton, TextField } from "../ui/fields";
import { ErrorSummary, type FieldErrors, useFormErrors } from "../ui/form";
import { useIdempotencyKey, useLoad, useSubmitting } from "../ui/hooks";
import { LoadState } from "../ui/LoadState";
import { Timestamp } from "../ui/Money";
import { Notice } from "../ui/Notice";
import { OutcomeNotice, useOutcome } from "../ui/Outcome";
import { Page } from "../ui/Page";
import { ActionsHeader, TableRegion } from "../ui/TableRegion";
import { count } from "../ui/plural";

type Field = "account_id" | "type" | "cardholder_name";
const FIELDS: readonly Field[] = ["account_id", "type", "cardholder_name"];
const idFor = (field: Field) => (field === "type" ? "issue-type-virtual" : `issue-${field.replace("_", "-")}`);
const MAPPING = { codes: { account_inactive: "account_id" as const } };
const LIMIT = 200;

export function CardsPage({ session }: { session: SessionView }) {
  const api = useApi();
  const staff = isStaff(session.role);
  const accounts = useLoad(`accounts:${session.userId}`, () => api.listAccounts({ limit: LIMIT }));
  const cards = useLoad(`cards:${session.userId}`, () => api.listCards({ limit: LIMIT }));
  const outcome = useOutcome();
  const change = useSubmitting();
  const [closing, setClosing] = useState<IssuedCard | null>(null);
  const [closeConfirmed, setCloseConfirmed] = useState(false);

  const accountList = accounts.data?.items ?? [];
  const cardList = cards.data?.items ?? [];
  // Customers see each of their accounts (to issue a first card); staff only those with cards.
  const groups = groupByAccount(staff ? [] : accountList, cardList).map((group) => ({
    ...group,
    account: group.account ?? accountList.find((a) => a.id === group.accountId),
  }));

  const setStatus = (card: IssuedCard, action: CardAction) => {
    void change.run(async () => {
      try {
        const updated = await api.setCardStatus(card.id, action.status);
        outcome.show("success", `${issuedCardName(updated)} is now ${updated.status}.`);
        cards.reload();
      } catch (error) {
        outcome.show("error", describeError(error));
      }
    });
  };

  return (
    <Page
      title={staff ? "Cards of the firm" : "Your cards"}
      lead="Cards issued on accounts. Block a card at once if it is lost or stolen."
    >
      <OutcomeNotice outcome={outcome.outcome} testId="cards-outcome" />
      <LoadState loading={accounts.loading && !accounts.data} error={accounts.error} what="Accounts" retry={accounts.reload} />
      <LoadState loading={cards.loading && !cards.data} error={cards.error} what="Cards" retry={cards.reload} />
      {accounts.data && cards.data && groups.length === 0 ? (
        <p>{staff ? "No cards have been issued yet." : "You have no accounts yet, so no cards."}</p>
      ) : null}
      {cards.data
        ? groups.map((group) => (
            <AccountCardsSection
              key={group.accountId}
              accountId={group.accountId}
              account={group.account}
              cards={group.cards}
              session={session}
              onAction={(card, action) => {
                if (action.confirm) {
                  setCloseConfirmed(false);
                  setClosing(card);
                } else {
                  setStatus(card, action);
                }
              }}
            />
          ))
        : null}
      {cards.data && cards.data.total > cardList.length ? (
        <p>
          Showing the newest {cardList.length} of {cards.data.total} cards.
        </p>
      ) : null}

      <IssueCard
        accounts={accountList}
        staff={staff}
        onIssued={(card) => {
          cards.reload();
          announce(`${issuedCardName(card)} issued.`);
        }}
      />

      <Dialog
        open={closing !== null}
        titleId="close-card-title"
        title={closing ? `Close the ${issuedCardName(closing)}?` : "Close the card?"}
        returnFocus={!closeConfirmed}
        initialFocus="keep-card"
        onClose={() => {
          setClosing(null);
        }}
      >
        <p>A closed card can never be used or reopened. To stop it for a while, block it instead.</p>
        <ConfirmActions
          confirm="Close the card"
          onConfirm={() => {
            const card = closing;
            setCloseConfirmed(true);
            setClosing(null);
            if (card) {
              setStatus(card, { status: "closed", verb: "Close", confirm: true });
            }
          }}
          cancel="Keep the card"
          cancelId="keep-card"
          onCancel={() => {
            setClosing(null);
          }}
        />
      </Dialog>
    </Page>
  );
}

interface SectionProps {
  accountId: string;
  account: Account | undefined;
  cards: IssuedCard[];
  session: SessionView;
  onAction: (card: IssuedCard, action: CardAction) => void;
}

function AccountCardsSection({ accountId, account, cards, session, onAction }: SectionProps) {
  const titleId = `account-cards-${accountId}`;
  const title = account ? accountName(account) : `Account ending ${shortId(accountId)}`;
  return (
    <section className="account-cards" aria-labelledby={titleId} data-testid="account-cards" data-account-id={accountId}>
      <h2 id={titleId}>{title}</h2>
      {cards.length === 0 ? (
        <p>No cards on this account yet.</p>
      ) : (
        <TableRegion labelledBy={`${titleId}-caption`}>
          <table className="table">
            <caption id={`${titleId}-caption`}>
              {count(cards.length, "card")} on the {title}
            </caption>
            <thead>
              <tr>
                <th scope="col">Card</th>
                <th scope="col">Name on card</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
                <th scope="col">Delivery</th>
                <ActionsHeader />
              </tr>
            </thead>
            <tbody>
              {cards.map((card) => (
                <CardRow key={card.id} card={card} session={session} onAction={onAction} />
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </section>
  );
}

function CardRow({ card, session, onAction }: { card: IssuedCard; session: SessionView; onAction: SectionProps["onAction"] }) {
  const name = issuedCardName(card);
  const actions = cardActions(card.status, session.role);
  return (
    <tr data-card-id={card.id} data-testid="card-row">
      <th scope="row">{name}</th>
      <td>{card.cardholder_name}</td>
      <td>{expiryText(card.expiry)}</td>
      <td>
        <span className={`badge badge-${card.status}`}>{card.status}</span>
        {card.status === "blocked" && session.role === "customer" ? (
          <p className="field-hint">Only the firm can unblock it: contact them.</p>
        ) : null}
      </td>
      <td data-testid="card-delivery">
        {deliveryText(card.type, card.delivery)}
        {card.delivery?.status_at ? (
          <>
            {" "}
            <span className="muted">
              (<Timestamp value={card.delivery.status_at} />)
            </span>
          </>
        ) : null}
        {card.reference ? (
          <p className="field-hint">
            Courier reference <code>{card.reference}</code>
            {card.delivery ? (
              <>
                {" · "}
                <Link to={`/cards/status?card_id=${encodeURIComponent(card.reference)}`}>
                  Delivery history<span className="visually-hidden"> of the {name}</span>
                </Link>
              </>
            ) : null}
          </p>
        ) : null}
      </td>
      <td>
        <div className="row-actions">
          {actions.map((action) => (
            <button
              key={action.status}
              type="button"
              className={`button button-small ${action.confirm ? "button-danger" : "button-secondary"}`}
              onClick={() => {
                onAction(card, action);
              }}
            >
              {action.verb}
              <span className="visually-hidden"> the {name}</span>
            </button>
          ))}
        </div>
      </td>
    </tr>
  );
}

function IssueCard({ accounts, staff, onIssued }: { accounts: Account[]; staff: boolean; onIssued: (card: IssuedCard) => void }) {
  const api = useApi();
  const usable = accounts.filter((account) => account.status === "active");
  const [accountId, setAccountId] = useState("");
  const [type, setType] = useState<IssuedCardType>("virtual");
  const [name, setName] = useState("");
  const [issued, setIssued] = useState<IssuedCard | null>(null);
  const form = useFormErrors<Field>(FIELDS, idFor, MAPPING);
  const { busy, run } = useSubmitting();
  const idempotency = useIdempotencyKey();
  const chosen = accountId || (usable.length === 1 ? (usable[0]?.id ?? "") : "");

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void run(async () => {
      const problems: FieldErrors<Field> = {};
      if (!chosen) {
        problems.account_id = "Choose the account the card draws on.";
      }
      const trimmed = name.trim().replace(/\s+/g, " ");
      if (trimmed && trimmed.length < 3) {
        problems.cardholder_name = "The name on the card must have at least 3 characters.";
      }
      if (form.showClientErrors(problems)) {
        return;
      }
      const body: IssuedCardCreate = { account_id: chosen, type };
      if (trimmed) {
        body.cardholder_name = trimmed;
      }
      try {
        const card = await api.issueCard(body, idempotency.key);
        idempotency.renew();
        setIssued(card);
        setName("");
        form.clear();
        onIssued(card);
      } catch (error) {
        form.showApiError(error);
      }
    });
  };

  return (
    <section aria-labelledby="issue-title">
      <h2 id="issue-title">Issue a card</h2>
      {issued ? (
        <Notice kind="success" live="none">
          <p data-testid="issue-result">
            {issuedCardName(issued)} issued, expiring {expiryText(issued.expiry)}.
            {issued.type === "physical" ? " It will be sent by courier; its delivery shows above once the courier reports on it." : ""}
          </p>
        </Notice>
      ) : null}
      {usable.length === 0 ? (
        <p>{staff ? "The firm has no active account to issue a card on." : "Open an account first: a card draws on an account."}</p>
      ) : (
        <>
          <ErrorSummary form={form} />
          <form className="form" onSubmit={submit} noValidate aria-labelledby="issue-title">
            <SelectField
              id={idFor("account_id")}
              label="Account"
              value={chosen}
              error={form.errors.account_id}
              onChange={(event) => {
                setAccountId(event.target.value);
                idempotency.renew();
                form.setFieldError("account_id", undefined);
              }}
            >
              <option value="">Choose an account</option>
              {usable.map((account) => (
                <option key={account.id} value={account.id}>
                  {accountName(account)}
                  {staff ? ` (holder ${shortId(account.holder_id)})` : ""}
                </option>
              ))}
            </SelectField>
            <RadioGroup<IssuedCardType>
              id="issue-type"
              legend="Kind of card"
              name="issue-type"
              value={type}
              error={form.errors.type}
              onChange={(value) => {
                setType(value);
                idempotency.renew();
              }}
              options={[
                { value: "virtual", label: "Virtual", hint: "For paying online; ready at once." },
                { value: "physical", label: "Physical", hint: "A plastic card, sent by courier." },
              ]}
            />
            <TextField
              id={idFor("cardholder_name")}
              label="Name on the card"
              optional
              autoComplete="off"
              spellCheck={false}
              maxLength={100}
              hint="Leave empty to use the account holder's name."
              value={name}
              error={form.errors.cardholder_name}
              onChange={(event) => {
                setName(event.target.value);
                idempotency.renew();
                form.setFieldError("cardholder_name", undefined);
              }}
            />
            <SubmitButton busy={busy} busyLabel="Issuing…">
              Issue card
            </SubmitButton>
          </form>
        </>
      )}
    </section>
  );
}
