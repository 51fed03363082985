import type { Metadata } from "next";
import { NewPasswordForm, RequestResetForm } from "@/components/account/AccountForms";

export const metadata: Metadata = { title: "Reset your password", robots: { index: false } };

export default async function ResetPasswordPage(props: PageProps<"/account/reset-password">) {
  const { token } = await props.searchParams;
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">{token ? "Choose a new password" : "Reset your password"}</h1>
      {typeof token === "string" ? <NewPasswordForm token={token} /> : <RequestResetForm />}
    </section>
  );
}
