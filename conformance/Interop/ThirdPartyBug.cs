namespace Testbed.Conformance.Interop;

/// <summary>
/// A bug of a client as it ships, recorded rather than papered over (issue 14): the matrix runs the client as shipped
/// with the bug's outcome as the expected one, and again with the shim's runtime fix, so a release that fixes it
/// changes a cell and fails the run.
/// </summary>
/// <param name="Fix">The shim's <c>--fix</c> name.</param>
/// <param name="Client">The npm package and version.</param>
/// <param name="Summary">What goes wrong, and what our server does about it.</param>
/// <param name="Evidence">Where in the client's published source (the npm tarball's file and line, and the repository's).</param>
internal sealed record ThirdPartyBug(string Fix, string Client, string Summary, string Evidence);
