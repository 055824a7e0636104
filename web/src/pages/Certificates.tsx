import { type SyntheticEvent, useState } from "react";

import { describeError } from "../api/errors";
import type { Certificate, CertificateCreate, KeyAlgorithm } from "../api/types";
import { useApi } from "../app/services";
import type { SessionView } from "../session/sessions";
import { announce } from "../ui/announcer";
import { saveFile } from "../ui/download";
import { SelectField, SubmitButton, TextAreaField, TextField } from "../ui/fields";
import { ErrorSummary, type FieldErrors, useFormErrors } from "../ui/form";
import { useIdempotencyKey, useLoad, useSubmitting } from "../ui/hooks";
import { LoadState } from "../ui/LoadState";
import { Timestamp } from "../ui/Money";
import { Notice } from "../ui/Notice";
import { Page } from "../ui/Page";
import { Pager } from "../ui/Pager";
import { TableRegion } from "../ui/TableRegion";

type Field = "common_name" | "subject_alt_names" | "validity_days" | "key_algorithm" | "key_passphrase";
const FIELDS: readonly Field[] = ["common_name", "subject_alt_names", "validity_days", "key_algorithm", "key_passphrase"];
const idFor = (field: Field) => `cert-${field.replace(/_/g, "-")}`;
const PAGE = 20;

export function CertificatesPage({ session }: { session: SessionView }) {
  const api = useApi();
  const [offset, setOffset] = useState(0);
  const list = useLoad(`certs:${session.userId}:${offset}`, () => api.listCertificates({ limit: PAGE, offset }));
  const [values, setValues] = useState<Record<Field, string>>({
    common_name: "",
    subject_alt_names: "",
    validity_days: "365",
    key_algorithm: "ec-p256",
    key_passphrase: "",
  });
  const [created, setCreated] = useState<Certificate | null>(null);
  const [rowError, setRowError] = useState<string | null>(null);
  const form = useFormErrors<Field>(FIELDS, idFor);
  const { busy, run } = useSubmitting();
  const rowAction = useSubmitting();
  const idempotency = useIdempotencyKey();

  const bind = (field: Field) => ({
    id: idFor(field),
    value: values[field],
    error: form.errors[field],
    onChange: (event: { target: { value: string } }) => {
      setValues((current) => ({ ...current, [field]: event.target.value }));
      form.setFieldError(field, undefined);
      idempotency.renew();
    },
  });

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void run(async () => {
      const problems: FieldErrors<Field> = {};
      if (!values.common_name.trim()) {
        problems.common_name = "Enter the common name, for example api.example.com.";
      }
      const days = Number(values.validity_days);
      if (!/^[0-9]+$/.test(values.validity_days) || days < 1 || days > 825) {
        problems.validity_days = "Enter a whole number of days from 1 to 825.";
      }
      if (form.showClientErrors(problems)) {
        return;
      }
      const body: CertificateCreate = {
        common_name: values.common_name.trim(),
        validity_days: days,
        key_algorithm: values.key_algorithm as KeyAlgorithm,
      };
      const sans = values.subject_alt_names.split(/[\s,]+/).filter(Boolean);
      if (sans.length) {
        body.subject_alt_names = sans;
      }
      if (values.key_passphrase) {
        body.key_passphrase = values.key_passphrase;
      }
      try {
        const certificate = await api.createCertificate(body, idempotency.key);
        idempotency.renew();
        setValues((current) => ({ ...current, key_passphrase: "" }));
        setCreated(certificate);
        announce(`Certificate for ${certificate.common_name} issued.`);
        list.reload();
      } catch (error) {
        form.showApiError(error);
      }
    });
  };

  const setStatus = (certificate: Certificate, status: "active" | "inactive") => {
    setRowError(null);
    void rowAction.run(async () => {
      try {
        await api.setCertificateStatus(certificate.id, status);
        announce(`Certificate for ${certificate.common_name} is now ${status}.`);
        list.reload();
      } catch (error) {
        setRowError(describeError(error));
      }
    });
  };

  const items = list.data?.items ?? [];

  return (
    <Page title="Certificates">
      <section aria-labelledby="certs-list-title">
        <h2 id="certs-list-title">Your certificates</h2>
        <LoadState loading={list.loading && !list.data} error={list.error} what="Certificates" retry={list.reload} />
        {rowError ? <Notice kind="error">{rowError}</Notice> : null}
        {list.data && items.length === 0 ? <p>No certificates yet.</p> : null}
        {items.length ? (
          <TableRegion labelledBy="certs-list-title">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Common name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Valid until</th>
                  <th scope="col">Serial number</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((certificate) => (
                  <tr key={certificate.id}>
                    <th scope="row">{certificate.common_name}</th>
                    <td>
                      <span className={`badge badge-${certificate.status}`}>{certificate.status}</span>
                    </td>
                    <td>
                      <Timestamp value={certificate.not_after} />
                    </td>
                    <td>
                      <code className="wrap">{certificate.serial_number}</code>
                    </td>
                    <td className="row-actions">
                      {certificate.status === "active" ? (
                        <button type="button" className="button button-small button-secondary" onClick={() => { setStatus(certificate, "inactive"); }}>
                          Deactivate<span className="visually-hidden"> {certificate.common_name}</span>
                        </button>
                      ) : null}
                      {certificate.status === "inactive" ? (
                        <button type="button" className="button button-small button-secondary" onClick={() => { setStatus(certificate, "active"); }}>
                          Activate<span className="visually-hidden"> {certificate.common_name}</span>
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        ) : null}
        {list.data ? <Pager label="Certificate pages" offset={offset} limit={PAGE} total={list.data.total} onChange={setOffset} /> : null}
      </section>

      <section aria-labelledby="certs-new-title">
        <h2 id="certs-new-title">Request a certificate</h2>
        {created ? <IssuedCertificate certificate={created} /> : null}
        <ErrorSummary form={form} />
        <form className="form" onSubmit={submit} noValidate aria-labelledby="certs-new-title">
          <TextField label="Common name" spellCheck={false} autoComplete="off" hint="For example api.example.com." {...bind("common_name")} />
          <TextField
            label="Other names (SAN)"
            optional
            spellCheck={false}
            autoComplete="off"
            hint="DNS names or IP addresses, separated by commas."
            {...bind("subject_alt_names")}
          />
          <TextField label="Valid for (days)" inputMode="numeric" hint="From 1 to 825 days." className="input-short" {...bind("validity_days")} />
          <SelectField
            id={idFor("key_algorithm")}
            label="Key type"
            value={values.key_algorithm}
            error={form.errors.key_algorithm}
            onChange={(event) => {
              setValues((current) => ({ ...current, key_algorithm: event.target.value }));
              idempotency.renew();
            }}
          >
            <option value="ec-p256">EC P-256 (recommended)</option>
            <option value="rsa-2048">RSA 2048</option>
            <option value="rsa-3072">RSA 3072</option>
          </SelectField>
          <TextField
            label="Passphrase for the private key"
            type="password"
            optional
            autoComplete="new-password"
            hint="If given, the private key you download is encrypted with it."
            {...bind("key_passphrase")}
          />
          <SubmitButton busy={busy} busyLabel="Issuing…">
            Issue certificate
          </SubmitButton>
        </form>
      </section>
    </Page>
  );
}

function IssuedCertificate({ certificate }: { certificate: Certificate }) {
  const name = certificate.common_name.replace(/[^A-Za-z0-9.-]/g, "_");
  return (
    <Notice kind="success" live="none">
      <p>
        Certificate for <strong>{certificate.common_name}</strong> issued (serial <code className="wrap">{certificate.serial_number}</code>).
      </p>
      {certificate.private_key_pem ? (
        <>
          <p>
            <strong>Download the private key now: it is shown only once and Tessera does not keep it.</strong>
          </p>
          <TextAreaField id="cert-private-key" label="Private key (PEM)" readOnly rows={6} value={certificate.private_key_pem} />
          <p className="actions">
            <button
              type="button"
              className="button"
              onClick={() => {
                saveFile(new Blob([certificate.private_key_pem ?? ""], { type: "application/x-pem-file" }), `${name}.key.pem`);
              }}
            >
              Download private key
            </button>
          </p>
        </>
      ) : null}
      {certificate.certificate_pem ? (
        <p className="actions">
          <button
            type="button"
            className="button button-secondary"
            onClick={() => {
              const pem = `${certificate.certificate_pem ?? ""}${certificate.chain_pem ?? ""}`;
              saveFile(new Blob([pem], { type: "application/x-pem-file" }), `${name}.cert.pem`);
            }}
          >
            Download certificate and chain
          </button>
        </p>
      ) : null}
    </Notice>
  );
}
