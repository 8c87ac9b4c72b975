import "./loans.css";

/** A status or class as a tag whose colour meets contrast. */
export function LoanTag({ value, label }: { value: string; label: string }) {
  return <span className={`loan-tag loan-tag-${value}`}>{label}</span>;
}
