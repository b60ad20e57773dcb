import {
  type ValidationArguments,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';

/** `CALENDAR_ADOPT_ID_PATTERN` as the env schema checks it: a regular expression with a group for the frNr. */
@ValidatorConstraint({ name: 'calendarAdoptIdPattern' })
export class CalendarAdoptIdPatternRule implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (value === undefined || value === null || value === '') return true;
    return typeof value === 'string' && idPatternProblem(value) === undefined;
  }

  defaultMessage(args: ValidationArguments): string {
    const problem = typeof args.value === 'string' ? idPatternProblem(args.value) : 'not a string';
    return `CALENDAR_ADOPT_ID_PATTERN must be a regular expression whose first group is the frNr: ${problem}`;
  }
}

/** Why a configured id pattern is unusable, or undefined when it is fine. */
export function idPatternProblem(source: string): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (err) {
    return (err as Error).message;
  }
  return new RegExp(`${re.source}|`).exec('')!.length > 1 ? undefined : 'it has no group';
}
