import type { AppConfig } from '../config/app-config.js';
import type { AdvowareClient } from '../integrations/advoware/advoware.client.js';
import type { AdvowareMitarbeiter } from '../integrations/advoware/advoware.types.js';
import type { GoogleCalendarClient } from '../integrations/google-calendar/google-calendar.client.js';
import { type CheckResult, describeError, fail, ok, warn } from './doctor.check.js';

/**
 * The doctor's Google check. Besides the calendar list (a read), it requests a token
 * from Google's token endpoint: authentication, not a write, and the only way to prove
 * the service account's delegation.
 */

/** Impersonation of each employee in scope: one calendar list per employee (a read). */
export async function checkGoogle(
  config: AppConfig,
  google: GoogleCalendarClient,
  advoware: AdvowareClient,
): Promise<CheckResult[]> {
  if (!config.calendar.enabled) {
    return [warn('Google impersonation', 'CALENDAR_SYNC_ENABLED=false: not checked')];
  }
  let employees: AdvowareMitarbeiter[];
  try {
    employees = await advoware.listMitarbeiter();
  } catch (err) {
    return [
      fail(
        'Google impersonation',
        `no employees to check: Advoware employees unreadable (${describeError(err)})`,
        'fix the Advoware checks above first',
      ),
    ];
  }
  const scope = config.calendar.kuerzel.map((k) => k.toUpperCase());
  const inScope = employees.filter(
    (m) =>
      typeof m.kuerzel === 'string' &&
      (scope.length === 0 || scope.includes(m.kuerzel.toUpperCase())),
  );
  if (inScope.length === 0) {
    return [warn('Google impersonation', 'no employee in scope (CALENDAR_SYNC_KUERZEL)')];
  }
  const results: CheckResult[] = [];
  for (const m of inScope) {
    const name = `Google impersonation ${m.kuerzel}`;
    const subject = subjectOf(config, m);
    if (!subject) {
      results.push(
        fail(
          name,
          `Mitarbeiter ${m.kuerzel} has no email`,
          'set CALENDAR_EMPLOYEE_EMAIL_DOMAIN or the email in Advoware',
        ),
      );
      continue;
    }
    try {
      const calendars = await google.listCalendars(subject);
      results.push(ok(name, `${subject}: ${calendars.length} calendars readable`));
    } catch (err) {
      results.push(
        fail(
          name,
          `${subject}: ${describeError(err)}`,
          'grant the service account domain-wide delegation for the calendar scope, and check GOOGLE_SERVICE_ACCOUNT_EMAIL / _PRIVATE_KEY',
        ),
      );
    }
  }
  return results;
}

/** As the calendar sync derives it: the Mitarbeiter's email, else `<kuerzel>@CALENDAR_EMPLOYEE_EMAIL_DOMAIN`. */
function subjectOf(config: AppConfig, m: AdvowareMitarbeiter): string | undefined {
  const email = typeof m.email === 'string' ? m.email.trim() : '';
  if (email) return email;
  const domain = config.calendar.employeeEmailDomain?.trim();
  return domain ? `${m.kuerzel.toLowerCase()}@${domain}` : undefined;
}
