/** Reads one sample from a proxy's /metrics (Prometheus text). */
export async function metric(proxyUrl: string, name: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', proxyUrl))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || (l.startsWith(`${name}{`) && l.includes(name)));
  if (line === undefined) return 0;
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

export async function metricsText(proxyUrl: string): Promise<string> {
  return (await fetch(new URL('/metrics', proxyUrl))).text();
}
