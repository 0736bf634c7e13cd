/**
 * Validity and renewal windows in the hours the tls provider takes. Pure: no Pulumi.
 */
import { HOURS_PER_DAY } from "../rules/tls";

export interface WindowDays {
  /** How long a certificate is valid, in days. */
  validityDays: number;
  /** How long before expiry it is renewed, in days; shorter than the validity. */
  renewBeforeDays: number;
}

export interface CertificateWindows {
  /** `validityPeriodHours` of a tls certificate resource. */
  validityPeriodHours: number;
  /** `earlyRenewalHours` of a tls certificate resource: the provider's renewal point. */
  earlyRenewalHours: number;
  /** Hours after issuance at which the certificate is due for renewal. */
  renewAfterHours: number;
}

/**
 * The windows of a certificate. `earlyRenewalHours` comes from the same renew-before that drives
 * rotation, so the provider and the program agree on when a certificate is due.
 */
export function certificateWindows(days: WindowDays): CertificateWindows {
  const { validityDays, renewBeforeDays } = days;
  if (!Number.isInteger(validityDays) || validityDays < 1) {
    throw new RangeError(`validityDays must be a whole number of days >= 1, got ${validityDays}`);
  }
  if (!Number.isInteger(renewBeforeDays) || renewBeforeDays < 1) {
    throw new RangeError(
      `renewBeforeDays must be a whole number of days >= 1, got ${renewBeforeDays}`,
    );
  }
  if (renewBeforeDays >= validityDays) {
    throw new RangeError(
      `renewBeforeDays (${renewBeforeDays}) must be shorter than validityDays (${validityDays})`,
    );
  }

  const validityPeriodHours = validityDays * HOURS_PER_DAY;
  const earlyRenewalHours = renewBeforeDays * HOURS_PER_DAY;
  return {
    validityPeriodHours,
    earlyRenewalHours,
    renewAfterHours: validityPeriodHours - earlyRenewalHours,
  };
}
