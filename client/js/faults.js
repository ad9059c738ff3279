// Test fault switches (issue 15, docs/browser.md §5): each one removes exactly one of the checks the client suite's
// hostile server judges (docs/client-shims.md), so that the suite can show it catches a client without that check.
// They are read only from the page's address (`?fault=NAME`, repeatable or comma-separated), are off by default, and
// a page with any of them on says so in a red banner: a fault must never be on by accident.

/** Every fault and the check it removes (the check sites name the same strings). */
export const FAULTS = Object.freeze({
  'accept-any-dh-prime': 'R1: dh_prime is not checked (prime, safe, 2048 bits)',
  'no-g-a-range-check': 'R1: g_a is not checked (1 < g_a < p-1 and the 2^(2048-64) margins)',
  'no-msg-key-check': 'R2: msg_key is not verified; the plaintext is used as decrypted',
  'accept-reflected': 'R2: a packet that fails with x = 8 is also tried with x = 0 (our own direction)',
  'accept-even-msg-id': 'R3: a server msg_id\'s low bits are not checked',
  'no-time-window': 'R3: a server msg_id\'s time is not checked (300 s before, 30 s after)',
  'deliver-duplicates': 'R3: a msg_id already received is delivered again',
  'accept-reordered': 'R3: a packet whose outer msg_id is not above the previous one on the connection is accepted',
  'acks-content-related': 'R5: msgs_ack is sent as content-related (odd seq_no)',
  'resend-same-header': 'R6: a re-send keeps the refused message\'s msg_id and seq_no',
  'unbounded-gzip': 'R6: gzip_packed is unpacked whatever its size (no 16 MiB cap)',
});

/** An unknown fault name: the client refuses to start rather than run with a check the tester did not mean. */
export class FaultError extends Error {}

/**
 * The faults named by `values` (each a name or a comma-separated list), as a Set.
 * @param {string[]} values
 * @returns {Set<string>}
 */
export function parseFaults(values) {
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(name in FAULTS));
  if (unknown.length) {
    throw new FaultError(`unknown fault ${unknown.join(', ')} (known: ${Object.keys(FAULTS).join(', ')})`);
  }
  return new Set(names);
}

/**
 * The page's faults: `{faults}`, or `{error}` when the address names an unknown one. Outside a page (node's tests)
 * there is none; the tests hand their faults to the objects under test.
 */
function readPage() {
  if (!globalThis.location) return { faults: new Set() };
  try {
    return { faults: parseFaults(new URLSearchParams(globalThis.location.search).getAll('fault')) };
  } catch (e) {
    return { faults: new Set(), error: e };
  }
}

const page = readPage();

/** The faults this page was opened with; throws FaultError when it names an unknown one. */
export function pageFaults() {
  if (page.error) throw page.error;
  return page.faults;
}

/** The red banner of a page with faults on (or with an unknown one, which keeps the client from starting). */
function showBanner() {
  const text = page.error
    ? `TEST FAULTS REFUSED: ${page.error.message}; the client does not start`
    : `TEST FAULTS ON: ${[...page.faults].join(', ')}`;
  const banner = document.createElement('div');
  banner.className = 'fault-banner';
  banner.setAttribute('role', 'alert');
  banner.dataset.testid = 'fault-banner';
  banner.textContent = text;
  banner.style.cssText = 'background:#b42318;color:#fff;font-weight:bold;padding:6px 16px;text-align:center';
  document.body.prepend(banner);
}

if (globalThis.document && (page.error || page.faults.size > 0)) {
  if (document.body) showBanner();
  else document.addEventListener('DOMContentLoaded', showBanner, { once: true });
}
