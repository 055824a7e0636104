import type { Account } from "../api/types";
import { currencyExponent } from "../money/amount";
import { accountOption } from "./accounts";
import { TextField } from "./fields";

/** Hint under an amount field: the currency and how many decimals it takes. */
export function amountHint(currency: string | undefined): string {
  if (!currency) {
    return "Choose an account first.";
  }
  const exponent = currencyExponent(currency) ?? 2;
  if (exponent === 0) {
    return `In ${currency}, a whole number, for example 1500.`;
  }
  const example = `25.${"0".repeat(exponent)}`;
  return `In ${currency}, up to ${exponent} decimal places, for example ${example}.`;
}

type MoneyFieldProps = {
  id: string;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
};

/** The amount of a movement, in the currency of the account it comes from. */
export function AmountField({ id, currency, value, error, onChange }: MoneyFieldProps & { currency: string | undefined }) {
  return (
    <TextField
      id={id}
      label="Amount"
      inputMode="decimal"
      autoComplete="off"
      hint={amountHint(currency)}
      value={value}
      error={error}
      className="input-amount"
      after={currency ? <span className="unit" aria-hidden="true">{currency}</span> : null}
      onChange={(event) => {
        onChange(event.target.value);
      }}
    />
  );
}

/** The optional description a movement carries onto the statement. */
export function DescriptionField({ id, value, error, onChange }: MoneyFieldProps) {
  return (
    <TextField
      id={id}
      label="Description"
      optional
      maxLength={500}
      value={value}
      error={error}
      onChange={(event) => {
        onChange(event.target.value);
      }}
    />
  );
}

/** The options of an account picker: a prompt to choose, then one option per account. */
export function AccountOptions({ accounts }: { accounts: readonly Account[] }) {
  return (
    <>
      <option value="">Choose an account</option>
      {accounts.map((account) => (
        <option key={account.id} value={account.id}>
          {accountOption(account)}
        </option>
      ))}
    </>
  );
}
