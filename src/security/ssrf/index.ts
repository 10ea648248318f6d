/** The SSRF guard: decide whether a vendor URL may be fetched, and fetch it only as checked. */
export { checkUrl, DEFAULT_DNS_TIMEOUT_MS, type CheckUrlDeps, type UrlCheck } from './check-url.js';
export { classifyAddress, parseAddress, type AddressBlock } from './classify-address.js';
export { SSRF_REASONS, type SsrfReason } from './reasons.js';
export { configuredResolver, hostsFileResolver, mapResolver, sharedResolver, systemResolver, type Resolver } from './resolvers.js';
export { SPEC_URL_POLICY_PATH, urlPolicyFromSpec, urlPolicyFromSpecFile, type SpecUrlPolicy } from './spec-url-policy.js';
export { MAX_REDIRECTS, safeFetch, UrlBlockedError, type SafeFetchOptions, type SafeResponse } from './safe-fetch.js';
export {
  baselinePolicy, hostAllowed, narrowPolicy, vendorPolicy, VendorUrlPolicySchema,
  type UrlPolicy, type UrlScheme, type VendorUrlPolicy, type VendorUrlPolicyInput,
} from './url-policy.js';
