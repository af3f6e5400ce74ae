/**
 * `fmu-gateway redeem SESSION_ID [--auto]`: a paid checkout → its payment token, for
 * `fmu-gateway run --payment-token`. Asks the gateway that opened the checkout: FMU_GATEWAY_URL
 * (with --auto also a local serve, as `run --auto` picks), with the key remembered for it; else
 * this machine's own payments (no FMU_GATEWAY_URL). Exits 0 with the token, 4 while the checkout is unpaid.
 */
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { GatewayError } from '../errors.ts';
import { LOCAL_CALLER } from '../schemas/accounts.ts';
import type { Pending, Redeemed } from '../schemas/payments.ts';
import { redeemCheckout } from '../service/redeem-checkout.ts';
import { chooseGateway, configFor } from './gateway-probe.ts';
import { createLocalContext } from './local-context.ts';
import { keyFor } from './remote-keys.ts';
import { EXIT_PAYMENT } from './run.ts';

const USAGE = `Usage: fmu-gateway redeem SESSION_ID [--auto] [--json]
  Exchanges a paid checkout (the session_id of a "payment required" answer) for its payment token,
  then: fmu-gateway run ... --payment-token <token>. The token is shown once.
  --auto      ask the gateway run --auto picks (FMU_GATEWAY_URL, else a local serve, else this machine)
  --json      print the whole answer as JSON
  Exit codes: 0 token printed, ${EXIT_PAYMENT} not paid yet (pay at the checkout URL, then again).
`;

export async function runRedeemCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { auto: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const sessionId = positionals[0];
  if (sessionId === undefined) {
    throw new GatewayError('BAD_REQUEST', 'redeem needs the SESSION_ID of the checkout', { hint: 'fmu-gateway redeem cs_...' });
  }
  let config: Config = loadConfig();
  if (values.auto === true) config = configFor(config, await chooseGateway(config));
  const local = await createLocalContext(config, { catalog: (await import('../library/catalog.ts')).createCatalog() });
  try {
    let out: Redeemed | Pending;
    if (local.ctx.remote !== undefined) {
      const { key } = await keyFor(config, local.ctx.remote);
      const client = local.ctx.remote.hasApiKey ? local.ctx.remote : local.ctx.remote.withApiKey(key);
      out = await client.redeemCheckout(sessionId);
    } else {
      out = (await redeemCheckout(local.ctx, { session_id: sessionId }, { callerId: LOCAL_CALLER })) as Redeemed | Pending;
    }
    if (values.json === true) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    if (out.status === 'pending') {
      process.stderr.write(`not paid yet: pay at ${out.checkout_url}, then run this again\n`);
      return EXIT_PAYMENT;
    }
    if (values.json !== true) process.stdout.write(`${out.payment_token}\n`);
    process.stderr.write(`payment token (single use, until ${out.expires_at}): run again with --payment-token <token>\n`);
    return 0;
  } finally {
    await local.close();
  }
}
