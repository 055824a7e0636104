// Form controls with their label, hint and error wired for assistive technology: the label is a
// real <label for>, the hint and the error are linked with aria-describedby, and an invalid field
// says so with aria-invalid. Errors are text, never colour alone.

import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes, TextareaHTMLAttributes } from "react";

interface Common {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  optional?: boolean;
  /** Extra content after the control (a live brand hint, a currency). */
  after?: ReactNode;
}

function describedBy(id: string, hint: ReactNode, error: string | undefined, extra?: string): string | undefined {
  const ids = [hint ? `${id}-hint` : null, error ? `${id}-error` : null, extra ?? null].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

function Label({ id, label, optional }: { id: string; label: ReactNode; optional?: boolean | undefined }) {
  return (
    <label htmlFor={id} className="field-label">
      {label}
      {optional ? <span className="optional"> (optional)</span> : null}
    </label>
  );
}

function Hint({ id, hint }: { id: string; hint: ReactNode }) {
  return hint ? (
    <p id={`${id}-hint`} className="field-hint">
      {hint}
    </p>
  ) : null;
}

export function FieldError({ id, error }: { id: string; error: string | undefined }) {
  return error ? (
    <p id={`${id}-error`} className="field-error" data-testid={`${id}-error`}>
      <span className="visually-hidden">Error: </span>
      {error}
    </p>
  ) : null;
}

type TextFieldProps = Common &
  Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "aria-describedby" | "aria-invalid"> & {
    describedByExtra?: string;
  };

export function TextField({ id, label, hint, error, optional, after, describedByExtra, className, ...input }: TextFieldProps) {
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <Label id={id} label={label} optional={optional} />
      <Hint id={id} hint={hint} />
      <FieldError id={id} error={error} />
      <div className="control-row">
        <input
          id={id}
          name={id}
          className={`input${className ? ` ${className}` : ""}`}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(id, hint, error, describedByExtra)}
          required={!optional}
          {...input}
        />
        {after}
      </div>
    </div>
  );
}

type SelectFieldProps = Common &
  Omit<SelectHTMLAttributes<HTMLSelectElement>, "id" | "aria-describedby" | "aria-invalid"> & {
    children: ReactNode;
  };

export function SelectField({ id, label, hint, error, optional, after, children, ...select }: SelectFieldProps) {
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <Label id={id} label={label} optional={optional} />
      <Hint id={id} hint={hint} />
      <FieldError id={id} error={error} />
      <div className="control-row">
        <select
          id={id}
          name={id}
          className="input"
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(id, hint, error)}
          required={!optional}
          {...select}
        >
          {children}
        </select>
        {after}
      </div>
    </div>
  );
}

type TextAreaFieldProps = Common &
  Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "id" | "aria-describedby" | "aria-invalid">;

export function TextAreaField({ id, label, hint, error, optional, after, ...area }: TextAreaFieldProps) {
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <Label id={id} label={label} optional={optional} />
      <Hint id={id} hint={hint} />
      <FieldError id={id} error={error} />
      <textarea
        id={id}
        name={id}
        className="input"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        required={!optional}
        {...area}
      />
      {after}
    </div>
  );
}

interface RadioGroupProps<V extends string> {
  id: string;
  legend: ReactNode;
  name: string;
  value: V;
  options: readonly { value: V; label: ReactNode; hint?: ReactNode }[];
  onChange: (value: V) => void;
  error?: string | undefined;
  hint?: ReactNode;
  inline?: boolean;
}

/** Radios in a fieldset whose legend is the question; arrow keys move between them natively. */
export function RadioGroup<V extends string>({ id, legend, name, value, options, onChange, error, hint, inline }: RadioGroupProps<V>) {
  return (
    <fieldset
      id={id}
      className={`field fieldset${error ? " field-invalid" : ""}`}
      aria-describedby={describedBy(id, hint, error)}
      tabIndex={-1}
    >
      <legend className="field-label">{legend}</legend>
      <Hint id={id} hint={hint} />
      <FieldError id={id} error={error} />
      <div className={inline ? "radios radios-inline" : "radios"}>
        {options.map((option) => {
          const optionId = `${id}-${option.value}`;
          return (
            <div className="radio" key={option.value}>
              <input
                type="radio"
                id={optionId}
                name={name}
                value={option.value}
                checked={value === option.value}
                onChange={() => {
                  onChange(option.value);
                }}
                aria-describedby={option.hint ? `${optionId}-hint` : undefined}
              />
              <label htmlFor={optionId}>{option.label}</label>
              {option.hint ? (
                <p id={`${optionId}-hint`} className="field-hint radio-hint">
                  {option.hint}
                </p>
              ) : null}
            </div>
          );
        })}
      </div>
    </fieldset>
  );
}

interface SubmitButtonProps {
  busy: boolean;
  children: ReactNode;
  busyLabel?: ReactNode;
  className?: string;
}

/**
 * The form's submit button. While a request is in flight it stays focusable but is marked
 * aria-disabled, and the form ignores further submits (a double click sends one request).
 */
export function SubmitButton({ busy, children, busyLabel, className }: SubmitButtonProps) {
  return (
    <button type="submit" className={`button${className ? ` ${className}` : ""}`} aria-disabled={busy ? true : undefined}>
      {busy ? (busyLabel ?? "Working…") : children}
    </button>
  );
}
