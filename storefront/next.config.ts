import type { NextConfig } from "next";

const media = new URL(process.env.SHOPGRAPH_MEDIA_URL ?? "http://127.0.0.1:8000/media");
const loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].includes(media.hostname);

const nextConfig: NextConfig = {
  output: "standalone",
  poweredByHeader: false,
  images: {
    remotePatterns: [
      {
        protocol: media.protocol === "https:" ? "https" : "http",
        hostname: media.hostname,
        // On this machine the platform may listen on any port (a test's, a second
        // checkout's); elsewhere the media host is exactly the one configured.
        ...(loopback ? {} : { port: media.port }),
        pathname: `${media.pathname.replace(/\/$/, "")}/**`,
      },
    ],
    // The platform serves its demo media from the same machine in development.
    dangerouslyAllowLocalIP: loopback,
  },
};

export default nextConfig;
