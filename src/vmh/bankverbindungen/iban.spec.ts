import { checkBic, checkIban, normalizeIban } from './iban.js';

describe('checkIban', () => {
  it.each([
    ['German, machine form', 'DE89370400440532013000'],
    ['German, typed with spaces and lower case', 'de89 3704 0044 0532 0130 00'],
    ['German, another bank', 'DE02120300000000202051'],
    ['Austrian (20)', 'AT611904300234573201'],
    ['Swiss (21)', 'CH9300762011623852957'],
    ['British with letters in the BBAN (22)', 'GB82WEST12345698765432'],
    ['French (27)', 'FR1420041010050500013M02606'],
    ['Dutch (18)', 'NL91ABNA0417164300'],
    ['Belgian (16)', 'BE68539007547034'],
    ['Spanish (24)', 'ES9121000418450200051332'],
    ['Italian (27)', 'IT60X0542811101000000123456'],
    ['Polish (28)', 'PL61109010140000071219812874'],
    ['Norwegian, the shortest (15)', 'NO9386011117947'],
    ['Maltese, a long one (31)', 'MT84MALT011000012345MTLCAST001S'],
  ])('accepts a valid %s IBAN', (_what, iban) => {
    expect(checkIban(iban)).toEqual({ ok: true, value: normalizeIban(iban) });
  });

  it.each([
    ['a German IBAN with one digit changed', 'DE89370400440532013001', 'checksum'],
    ['a German IBAN with two digits swapped', 'DE89370400440532010300', 'checksum'],
    ['a British IBAN with wrong check digits', 'GB83WEST12345698765432', 'checksum'],
    ['a German IBAN one digit short', 'DE8937040044053201300', 'length'],
    ['a German IBAN one digit long', 'DE893704004405320130000', 'length'],
    ['an Austrian IBAN with a German length', 'AT61190430023457320100', 'length'],
    ['an unknown country', 'XX89370400440532013000', 'country'],
    ['no check digits', 'DEXX370400440532013000', 'format'],
    ['punctuation inside', 'DE89.3704.0044.0532.0130.00', 'format'],
    ['an empty value', '', 'missing'],
    ['a null value', null, 'missing'],
    ['only spaces', '   ', 'missing'],
  ])('refuses %s', (_what, iban, problem) => {
    const result = checkIban(iban);
    expect(result).toMatchObject({ ok: false, problem });
    expect(result.ok === false && result.message.length).toBeGreaterThan(0);
  });

  it('names the expected length of the country in the reason', () => {
    const result = checkIban('DE8937040044053201300');
    expect(result.ok === false && result.message).toContain('22');
  });
});

describe('checkBic', () => {
  it.each([
    ['an 8-character BIC', 'COBADEFF', 'COBADEFF'],
    ['an 11-character BIC', 'COBADEFFXXX', 'COBADEFFXXX'],
    ['a BIC with digits in the location', 'DEUTDEDB110', 'DEUTDEDB110'],
    ['a BIC typed in lower case with spaces', 'cobadeff 370', 'COBADEFF370'],
    ['an empty BIC (IBAN-only transfer)', '', ''],
    ['a missing BIC', null, ''],
  ])('accepts %s', (_what, bic, value) => {
    expect(checkBic(bic)).toEqual({ ok: true, value });
  });

  it.each([
    ['7 characters', 'COBADEF'],
    ['9 characters', 'COBADEFF1'],
    ['10 characters', 'COBADEFF12'],
    ['12 characters', 'COBADEFFXXXX'],
    ['digits in the bank code', 'C0BADEFF'],
    ['digits in the country code', 'COBAD3FF'],
    ['punctuation', 'COBA-DEFF'],
  ])('refuses a BIC of %s', (_what, bic) => {
    expect(checkBic(bic)).toMatchObject({ ok: false, problem: 'format' });
  });
});
