// The firm's staff (firm admins): who holds a staff role, granting `firm_operator` or
// `firm_admin` to a user (creating their login when they have none), and taking a role away.
// A change applies from the person's next request: the service reads roles on every request.

import { type SyntheticEvent, useState } from "react";

import { describeError } from "../../api/errors";
import type { StaffMember, StaffRole } from "../../api/types";
import { useApi } from "../../app/services";
import type { SessionView } from "../../session/sessions";
import { checkGrant, type GrantValues, STAFF_ROLE_NAMES } from "../../staff/grant";
import { ConfirmActions, Dialog } from "../../ui/Dialog";
import { RadioGroup, SubmitButton, TextField } from "../../ui/fields";
import { ErrorSummary, useFormErrors } from "../../ui/form";
import { useLoad, useSubmitting } from "../../ui/hooks";
import { LoadState } from "../../ui/LoadState";
import { Timestamp } from "../../ui/Money";
import { OutcomeNotice, useOutcome } from "../../ui/Outcome";
import { Page } from "../../ui/Page";
import { Pager } from "../../ui/Pager";
import { ROLE_NAMES } from "../../ui/SessionBar";
import { ActionsHeader, TableRegion } from "../../ui/TableRegion";
import { count } from "../../ui/plural";

type Field = keyof GrantValues;
const FIELDS: readonly Field[] = ["email", "role", "password"];
const idFor = (field: Field) => (field === "role" ? "grant-role-firm_operator" : `grant-${field}`);
const MAPPING = { codes: { email_taken: "email" as const } };
const PAGE = 50;

export function TeamPage({ session }: { session: SessionView }) {
  const api = useApi();
  const [offset, setOffset] = useState(0);
  const staff = useLoad(`staff:${session.firm}:${offset}`, () => api.listStaff(session.firm, { limit: PAGE, offset }));
  const outcome = useOutcome();
  const [values, setValues] = useState<GrantValues>({ email: "", role: "firm_operator", password: "" });
  const form = useFormErrors<Field>(FIELDS, idFor, MAPPING);
  const { busy, run } = useSubmitting();
  const revoke = useSubmitting();
  const [removing, setRemoving] = useState<StaffMember | null>(null);
  const [removed, setRemoved] = useState(false);

  const set = (field: Field, value: string) => {
    setValues((current) => ({ ...current, [field]: value }));
    form.setFieldError(field, undefined);
  };

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void run(async () => {
      if (form.showClientErrors(checkGrant(values)) || values.role === "") {
        return;
      }
      const email = values.email.trim();
      const role: StaffRole = values.role;
      try {
        const member = await api.grantStaffRole(session.firm, {
          email,
          role,
          ...(values.password ? { password: values.password } : {}),
        });
        setValues({ email: "", role, password: "" });
        form.clear();
        outcome.show("success", `${member.email} is now a ${STAFF_ROLE_NAMES[role].toLowerCase()}.`);
        staff.reload();
      } catch (error) {
        setValues((current) => ({ ...current, password: "" }));
        form.showApiError(error);
      }
    });
  };

  const confirmRemove = () => {
    const member = removing;
    if (!member) {
      return;
    }
    void revoke.run(async () => {
      try {
        await api.revokeStaffRole(session.firm, member.id);
        setRemoved(true);
        setRemoving(null);
        outcome.show("success", `${member.email} no longer has a staff role.`);
        staff.reload();
      } catch (error) {
        setRemoved(true); // the message takes focus
        setRemoving(null);
        outcome.show("error", describeError(error));
      }
    });
  };

  const items = staff.data?.items ?? [];

  return (
    <Page title="Staff" lead="The people who work for the firm in Tessera, and what they may do.">
      <section aria-labelledby="staff-list-title">
        <h2 id="staff-list-title">Staff of the firm</h2>
        <OutcomeNotice outcome={outcome.outcome} testId="staff-outcome" />
        <LoadState loading={staff.loading && !staff.data} error={staff.error} what="Staff" retry={staff.reload} />
        {items.length ? (
          <TableRegion labelledBy="staff-caption">
            <table className="table" data-testid="staff-table">
              <caption id="staff-caption">{count(staff.data?.total ?? 0, { one: "person", other: "people" })}</caption>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">User since</th>
                  <ActionsHeader />
                </tr>
              </thead>
              <tbody>
                {items.map((member) => (
                  <tr key={member.id}>
                    <th scope="row">{member.email}</th>
                    <td>{ROLE_NAMES[member.role]}</td>
                    <td>
                      <Timestamp value={member.created_at} />
                    </td>
                    <td>
                      {member.id === session.userId ? (
                        <span className="muted">You</span>
                      ) : (
                        <button
                          type="button"
                          className="button button-small button-secondary"
                          onClick={() => {
                            setRemoved(false);
                            setRemoving(member);
                          }}
                        >
                          Remove staff role<span className="visually-hidden"> of {member.email}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        ) : null}
        {staff.data ? <Pager label="Staff pages" offset={offset} limit={PAGE} total={staff.data.total} onChange={setOffset} /> : null}
      </section>

      <section aria-labelledby="grant-title">
        <h2 id="grant-title">Grant a staff role</h2>
        <ErrorSummary form={form} />
        <form className="form" onSubmit={submit} noValidate aria-labelledby="grant-title">
          <TextField
            id={idFor("email")}
            label="Email address"
            type="email"
            autoComplete="off"
            spellCheck={false}
            hint="Someone who already has a login at the firm, or a new person."
            value={values.email}
            error={form.errors.email}
            onChange={(event) => {
              set("email", event.target.value);
            }}
          />
          <RadioGroup<StaffRole>
            id="grant-role"
            legend="Role"
            name="grant-role"
            value={values.role === "" ? "firm_operator" : values.role}
            error={form.errors.role}
            onChange={(value) => {
              set("role", value);
            }}
            options={[
              {
                value: "firm_operator",
                label: STAFF_ROLE_NAMES.firm_operator,
                hint: "Day-to-day work: registrations, cards, courier files, accounts and certificates.",
              },
              {
                value: "firm_admin",
                label: STAFF_ROLE_NAMES.firm_admin,
                hint: "Everything an operator does, plus staff, the audit log and revealing card numbers.",
              },
            ]}
          />
          <TextField
            id={idFor("password")}
            label="Password for a new login"
            type="password"
            optional
            autoComplete="new-password"
            hint="Only for someone without a login yet: 8 to 128 characters. Give it to them in person."
            value={values.password}
            error={form.errors.password}
            onChange={(event) => {
              set("password", event.target.value);
            }}
          />
          <SubmitButton busy={busy} busyLabel="Granting…">
            Grant role
          </SubmitButton>
        </form>
      </section>

      <Dialog
        open={removing !== null}
        titleId="remove-staff-title"
        title={removing ? `Remove the staff role of ${removing.email}?` : "Remove the staff role?"}
        returnFocus={!removed}
        initialFocus="remove-staff-cancel"
        onClose={() => {
          setRemoving(null);
        }}
      >
        <p>They keep their login, as a customer without any staff rights, from their next request.</p>
        <ConfirmActions
          confirm="Remove staff role"
          onConfirm={confirmRemove}
          busy={revoke.busy}
          busyLabel="Removing…"
          cancelId="remove-staff-cancel"
          onCancel={() => {
            setRemoving(null);
          }}
        />
      </Dialog>
    </Page>
  );
}
