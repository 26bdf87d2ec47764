using Microsoft.CodeAnalysis;
using NetGen.Generator.Model;
using NetGen.Generator.Attributes;
using NetGen.Generator.Operations;

namespace NetGen.Generator.Parsing;

/// <summary>
/// Finds the operation an attribute writes and lets it read itself (<see cref="OperationCatalog"/>).
/// The attributes' own sources are compiled into the generator (NetGen.Generator.Attributes), so
/// each operation takes names from <c>nameof</c> and defaults from an attribute it constructs.
/// </summary>
internal static class OperationReader
{
    public const string Namespace = "NetGen";

    /// <summary>Reads <paramref name="attribute"/>, or returns null when it is not an operation this generator knows.</summary>
    /// <param name="round">The network's rounding, for an operation that does not set its own.</param>
    /// <param name="init">The network's initialisation, for a learnable operation that does not set its own.</param>
    public static Operation? Read(AttributeData attribute, AttributeArguments args, LocationInfo? location, Rounding round, Init init)
    {
        var type = attribute.AttributeClass;
        if (type is null || type.ContainingNamespace?.ToDisplayString() != Namespace)
            return null;
        return OperationCatalog.Read(type.Name, new OperationReading(args, type.Name, location, round, init));
    }

    /// <summary>Whether <paramref name="type"/> is a NetGen operation attribute (derives from OperationAttribute).</summary>
    public static bool IsOperation(INamedTypeSymbol? type)
    {
        for (var t = type; t is not null; t = t.BaseType)
            if (t.Name == nameof(OperationAttribute) && t.ContainingNamespace?.ToDisplayString() == Namespace)
                return true;
        return false;
    }
}
