// @peculiar/x509 resolves its algorithm providers through tsyringe, which throws at load time unless the Reflect
// metadata polyfill is already installed. Every file here imports x509 through this module so the polyfill is
// always evaluated first, whatever the caller's entry point did.
//
// x509 signs and hashes with its default provider, globalThis.crypto (node's WebCrypto since node 19). It is not
// passed explicitly: node's webcrypto type does not match the DOM `Crypto` the x509 typings name once a DOM lib
// is in the compilation.
import 'reflect-metadata';

export * from '@peculiar/x509';
