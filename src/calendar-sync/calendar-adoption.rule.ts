import {
  type ValidationArguments,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { idPatternProblem } from './calendar-adoption.js';

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
