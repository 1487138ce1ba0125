import { CREDENTIAL_HEADERS, redactHeaders } from './log-redaction';

describe('redactHeaders', () => {
  it('redacts every listed credential header, matching its name case-insensitively', () => {
    for (const name of CREDENTIAL_HEADERS) {
      for (const spelled of [name, name.toUpperCase(), name.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase())]) {
        expect(redactHeaders({ [spelled]: 'secret-value' })).toEqual({ [spelled]: '[redacted]' });
      }
    }
  });

  it('redacts headers named like a credential and keeps the others', () => {
    const sut = redactHeaders({
      'X-Vault-Token': 't',
      'x-my-api_key': 'k',
      'X-Session-Id': 's',
      'user-agent': 'curl/8',
      'x-request-id': 'r-1',
    });
    expect(sut).toEqual({
      'X-Vault-Token': '[redacted]',
      'x-my-api_key': '[redacted]',
      'X-Session-Id': '[redacted]',
      'user-agent': 'curl/8',
      'x-request-id': 'r-1',
    });
  });

  it('leaves a value that is not a header map as it is', () => {
    expect(redactHeaders(undefined)).toBeUndefined();
  });
});
