import type { Metadata } from "next";
import { SignInForm } from "@/components/account/AccountForms";
import { FormMessage } from "@/components/forms/fields";

export const metadata: Metadata = { title: "Sign in", robots: { index: false } };

export default async function SignInPage(props: PageProps<"/sign-in">) {
  const params = await props.searchParams;
  const next = typeof params.next === "string" ? params.next : "/";
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Sign in</h1>
      {params.reset ? <FormMessage tone="notice">Your password was changed. Sign in with the new one.</FormMessage> : null}
      <SignInForm next={next} />
    </section>
  );
}
