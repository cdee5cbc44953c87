// Types for the bcrypt-pbkdf package ssh2 already depends on (OpenSSH's KDF, pure JS).
declare module 'bcrypt-pbkdf' {
  const bcryptPbkdf: {
    pbkdf(pass: Uint8Array, passlen: number, salt: Uint8Array, saltlen: number, key: Uint8Array, keylen: number, rounds: number): number;
  };
  export default bcryptPbkdf;
}
