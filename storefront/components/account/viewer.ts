import { cookies } from "next/headers";
import { cache } from "react";
import { ViewerQuery } from "@/components/layout/operations";
import { shopgraph } from "@/lib/shopgraph/fetch";
import { ACCESS_COOKIE } from "@/lib/shopgraph/session";

export const getViewer = cache(async () => {
  if (!(await cookies()).get(ACCESS_COOKIE)) return null;
  const { data } = await shopgraph(ViewerQuery, {});
  return data?.me ?? null;
});
