"use client";

import type { ReactNode } from "react";

/** A form that submits itself whenever one of its fields changes; its submit button serves without JavaScript. */
export function AutoSubmitForm(props: {
  action: (formData: FormData) => Promise<void>;
  className?: string;
  children: ReactNode;
}) {
  return (
    <form action={props.action} className={props.className} onChange={(event) => event.currentTarget.requestSubmit()}>
      {props.children}
    </form>
  );
}
