/** Types for the part of `jstat` (a CommonJS statistics library shipped without types) that Sonde uses. */
declare module 'jstat' {
  interface StudentT {
    /** P(T ≤ x) for Student's t with `dof` degrees of freedom. */
    cdf(x: number, dof: number): number;
    /** The quantile: x with P(T ≤ x) = p. */
    inv(p: number, dof: number): number;
  }
  interface JStat {
    studentt: StudentT;
    /** ln Γ(x). */
    gammaln(x: number): number;
  }
  const jStat: JStat;
  export default jStat;
}
