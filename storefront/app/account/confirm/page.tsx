import type { Metadata } from "next";
import Link from "next/link";
import { AccountConfirmMutation } from "@/components/account/operations";
import { FormMessage } from "@/components/forms/fields";
import { messageForPayloadError, messageForRequestErrors } from "@/lib/shopgraph/errors";
import { shopgraph } from "@/lib/shopgraph/fetch";

export const metadata: Metadata = { title: "Confirm your email", robots: { index: false } };

export default async function ConfirmEmailPage(props: PageProps<"/account/confirm">) {
  const { token } = await props.searchParams;
  let problem: string | null = "This link is not valid. Ask for a new one.";
  if (typeof token === "string") {
    const { data, errors } = await shopgraph(AccountConfirmMutation, { token });
    const payload = data?.accountConfirm;
    problem = !payload ? messageForRequestErrors(errors) : payload.errors[0] ? messageForPayloadError(payload.errors[0]) : null;
  }
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Confirm your email</h1>
      {problem ? <FormMessage>{problem}</FormMessage> : <FormMessage tone="notice">Thank you: your email address is confirmed.</FormMessage>}
      <Link href="/" className="underline">Continue shopping</Link>
    </section>
  );
}
