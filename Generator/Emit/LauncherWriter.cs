using System.Collections.Generic;
using System.Linq;

namespace NetGen.Generator.Emit;

/// <summary>
/// Writes a private class of kernel launchers, loaded on first use through a lazy property of the
/// network: compiling a kernel for an accelerator is slow, so it happens once per network.
/// </summary>
internal static class LauncherWriter
{
    /// <summary>
    /// One launch: the generated kernel's, or, when the operation has a kernel-library call for it
    /// (<paramref name="libraryCall"/>), that call where the network uses the library and the
    /// generated kernel, the reference, where it does not.
    /// </summary>
    public static void WriteLaunch(SourceWriter w, string launch, string? libraryCall)
    {
        if (libraryCall is null)
        {
            w.Line(launch);
            return;
        }
        w.Line("if (network.UsesKernelLibrary)");
        using (w.Indent())
            w.Line(libraryCall);
        w.Line("else");
        using (w.Indent())
            w.Line(launch);
    }

    /// <param name="kernels">Each kernel's method name and its parameter types after the index.</param>
    public static void Write(SourceWriter w, string className, string property, string kernelClass, string what,
        IEnumerable<(string Method, IEnumerable<string> Types)> kernels)
    {
        var list = kernels.Select(k => (k.Method, Types: "Index1D, " + string.Join(", ", k.Types))).ToList();
        string field = char.ToLowerInvariant(className[0]) + className.Substring(1);
        w.Line($"private {className}? {field};");
        w.Line();
        w.Line($"/// <summary>The {what} kernels compiled for this network's accelerator, loaded on first use.</summary>");
        w.Line($"private {className} {property} => {field} ??= new {className}(Accelerator);");
        w.Line();
        using (w.Block($"private sealed class {className}"))
        {
            foreach (var (method, types) in list)
                w.Line($"public readonly global::System.Action<{types}> {method};");
            w.Line();
            using (w.Block($"public {className}(Accelerator accelerator)"))
                foreach (var (method, types) in list)
                    w.Line($"{method} = accelerator.LoadAutoGroupedStreamKernel<{types}>({kernelClass}.{method});");
        }
    }
}
