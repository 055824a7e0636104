// Form state for errors: client-side checks and the service's error envelope end up in the same
// place. Each field shows its own message (linked with aria-describedby), and a failed submit
// shows an error summary at the top that takes focus and lists every problem as a link to its
// field (the GOV.UK pattern, which is known to work with screen readers and magnifiers).

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { ApiError, describeError, describeFieldProblem } from "../api/errors";

export type FieldErrors<K extends string> = Partial<Record<K, string>>;

export interface ErrorMapping<K extends string> {
  /** API field name (from details.fields) -> form field, where they differ. */
  fields?: Partial<Record<string, K>>;
  /** Rule codes that concern one field (insufficient_funds -> amount, ...). */
  codes?: Partial<Record<string, K>>;
}

export interface FormErrors<K extends string> {
  errors: FieldErrors<K>;
  formError: string | null;
  /** Grows by one each time the summary should take focus (after a failed submit). */
  focusRequest: number;
  problems: { target: string | null; message: string }[];
  /** Show client-side problems (or none). Returns true when there were any. */
  showClientErrors: (errors: FieldErrors<K>) => boolean;
  /** Show what the service answered. */
  showApiError: (error: unknown) => void;
  setFieldError: (field: K, message: string | undefined) => void;
  clear: () => void;
}

export function useFormErrors<K extends string>(
  fieldOrder: readonly K[],
  idFor: (field: K) => string,
  mapping: ErrorMapping<K> = {},
): FormErrors<K> {
  const [errors, setErrors] = useState<FieldErrors<K>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [focusRequest, setFocusRequest] = useState(0);

  const known = useMemo(() => new Set<string>(fieldOrder), [fieldOrder]);

  const showClientErrors = useCallback((next: FieldErrors<K>): boolean => {
    setErrors(next);
    setFormError(null);
    const any = Object.values(next).some(Boolean);
    if (any) {
      setFocusRequest((n) => n + 1);
    }
    return any;
  }, []);

  const showApiError = useCallback(
    (error: unknown) => {
      const next: FieldErrors<K> = {};
      const loose: string[] = [];
      if (error instanceof ApiError && error.fields.length > 0) {
        for (const problem of error.fields) {
          const mapped = mapping.fields?.[problem.field] ?? (known.has(problem.field) ? (problem.field as K) : undefined);
          if (mapped !== undefined) {
            next[mapped] ??= problem.message;
          } else {
            loose.push(describeFieldProblem(problem));
          }
        }
      } else if (error instanceof ApiError && mapping.codes?.[error.code] !== undefined) {
        const field = mapping.codes[error.code] as K;
        next[field] = error.message;
      } else {
        loose.push(describeError(error));
      }
      setErrors(next);
      setFormError(loose.length ? loose.join(" ") : null);
      setFocusRequest((n) => n + 1);
    },
    [known, mapping],
  );

  const setFieldError = useCallback((field: K, message: string | undefined) => {
    setErrors((current) => (current[field] === message ? current : { ...current, [field]: message }));
  }, []);

  const clear = useCallback(() => {
    setErrors({});
    setFormError(null);
  }, []);

  const problems = useMemo(() => {
    const list: { target: string | null; message: string }[] = [];
    if (formError) {
      list.push({ target: null, message: formError });
    }
    for (const field of fieldOrder) {
      const message = errors[field];
      if (message) {
        list.push({ target: idFor(field), message });
      }
    }
    return list;
  }, [errors, formError, fieldOrder, idFor]);

  return { errors, formError, focusRequest, problems, showClientErrors, showApiError, setFieldError, clear };
}

/** The list of problems at the top of a form; it takes focus after a failed submit. */
export function ErrorSummary<K extends string>({ form, title = "There is a problem" }: { form: FormErrors<K>; title?: string }) {
  const { problems, focusRequest } = form;
  const summary = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (focusRequest > 0) {
      summary.current?.focus();
    }
  }, [focusRequest]);

  if (problems.length === 0) {
    return null;
  }
  return (
    <div
      className="error-summary"
      ref={summary}
      tabIndex={-1}
      role="alert"
      aria-labelledby="error-summary-title"
      data-testid="error-summary"
    >
      <h2 id="error-summary-title" className="error-summary-title">
        {title}
      </h2>
      <ul>
        {problems.map((problem) =>
          problem.target ? (
            <li key={`${problem.target}-${problem.message}`}>
              <a
                href={`#${problem.target}`}
                onClick={(event) => {
                  event.preventDefault();
                  const target = document.getElementById(problem.target ?? "");
                  target?.focus();
                  target?.scrollIntoView({ block: "center" });
                }}
              >
                {problem.message}
              </a>
            </li>
          ) : (
            <li key={`form-${problem.message}`}>{problem.message}</li>
          ),
        )}
      </ul>
    </div>
  );
}
