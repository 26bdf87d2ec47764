using System.Linq;
using Microsoft.CodeAnalysis;
using NetGen.Generator.Model;

namespace NetGen.Generator.Diagnostics;

/// <summary>A diagnostic as plain values, so it can travel through the incremental pipeline.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object[] arguments) =>
        new(descriptor.Id, location, arguments.Select(a => a switch
        {
            float f => Format.Float(f),
            int i => Format.Int(i),
            long l => Format.Int(l),
            _ => a.ToString() ?? "",
        }).ToEquatableArray());

    /// <summary>Whether it stops the generator (an error), rather than advising (a warning).</summary>
    public bool IsError => DiagnosticDescriptors.All.First(d => d.Id == Id).DefaultSeverity == DiagnosticSeverity.Error;

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(
            DiagnosticDescriptors.All.First(d => d.Id == Id),
            Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None,
            Arguments.Cast<object>().ToArray());
}
