import type { ReactNode } from "react";

export function TextField(props: {
  label: string;
  name: string;
  type?: string;
  defaultValue?: string;
  error?: string;
  required?: boolean;
  autoComplete?: string;
}) {
  const id = `field-${props.name}`;
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium">
        {props.label}
      </label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        defaultValue={props.defaultValue}
        required={props.required}
        autoComplete={props.autoComplete}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${id}-error` : undefined}
        className="rounded border border-stone-300 px-3 py-2"
      />
      {props.error ? (
        <p id={`${id}-error`} className="text-sm text-red-700">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

export function FormMessage({ children, tone = "error" }: { children?: ReactNode; tone?: "error" | "notice" }) {
  if (!children) return null;
  return (
    <p
      role={tone === "error" ? "alert" : "status"}
      className={
        tone === "error"
          ? "rounded border border-red-200 bg-red-50 px-3 py-2 text-red-800"
          : "rounded border border-green-200 bg-green-50 px-3 py-2 text-green-800"
      }
    >
      {children}
    </p>
  );
}

export function SubmitButton({ children, name, value }: { children: ReactNode; name?: string; value?: string }) {
  return (
    <button
      type="submit"
      name={name}
      value={value}
      className="rounded bg-stone-900 px-4 py-2 font-medium text-white hover:bg-stone-700"
    >
      {children}
    </button>
  );
}
