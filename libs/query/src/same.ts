/** Compile-time: true when A and B are the same type (a declaration list checked against the type it describes). */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
