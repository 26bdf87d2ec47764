using Microsoft.CodeAnalysis;
using NetGen.Generator.Model;

namespace NetGen.Generator.Parsing;

/// <summary>
/// Turns one operation attribute into its spec, filling in the defaults the runtime attributes
/// document. The defaults live here and in Runtime/Attributes; Tests/Generator/DefaultsTests.cs keeps them in step.
/// </summary>
internal static class OperationReader
{
    public const string Namespace = "NetGen";

    /// <summary>Reads <paramref name="attribute"/>, or returns null when it is not a NetGen operation.</summary>
    /// <param name="round">The network's rounding, for an operation that does not set its own.</param>
    public static OpSpec? Read(AttributeData attribute, AttributeArguments args, LocationInfo? location, Rounding round)
    {
        var type = attribute.AttributeClass;
        if (type is null || type.ContainingNamespace?.ToDisplayString() != Namespace)
            return null;
        switch (type.Name)
        {
            case "ConvAttribute":
                return new ConvSpec(
                    Filters: args.Int(0, "filters", 0),
                    Kernel: args.Int("Kernel", 0),
                    Stride: args.Int("Stride", 1),
                    Pad: args.Int("Pad", 0),
                    Groups: args.Int("Groups", 1),
                    Round: (Rounding)args.Int("Round", (int)round),
                    Learn: ReadLearn(args),
                    Location: location);
            case "DenseAttribute":
                return new DenseSpec(args.Int(0, "units", 0), ReadLearn(args), location);
            case "ReluAttribute":
                return new ReluSpec(location);
            case "LrnAttribute":
                return new LrnSpec(
                    Size: args.Int(0, "size", 0),
                    Alpha: args.Float("Alpha", 1e-4f),
                    Beta: args.Float("Beta", 0.75f),
                    K: args.Float("K", 2f),
                    AlphaDividedBySize: args.Int("AlphaConvention", 0) == 1,
                    Location: location);
            case "MaxPoolAttribute":
            case "AvgPoolAttribute":
                int window = args.Int(0, "window", 0);
                return new PoolSpec(
                    IsMax: type.Name == "MaxPoolAttribute",
                    Window: window,
                    Stride: args.Int("Stride", window),
                    Pad: args.Int("Pad", 0),
                    Round: (Rounding)args.Int("Round", (int)round),
                    Location: location);
            case "DropoutAttribute":
                return new DropoutSpec(args.Float(0, "rate", 0f), location);
            case "SoftmaxAttribute":
                return new SoftmaxSpec(location);
            default:
                return null;
        }
    }

    /// <summary>Whether <paramref name="type"/> is a NetGen operation attribute (derives from OperationAttribute).</summary>
    public static bool IsOperation(INamedTypeSymbol? type)
    {
        for (var t = type; t is not null; t = t.BaseType)
            if (t.Name == "OperationAttribute" && t.ContainingNamespace?.ToDisplayString() == Namespace)
                return true;
        return false;
    }

    private static LearnSpec ReadLearn(AttributeArguments args) => new(
        WeightStd: args.Float("WeightStd", 0.01f),
        BiasInit: args.Float("BiasInit", 0f),
        LrMult: args.Float("LrMult", 1f),
        BiasLrMult: args.Float("BiasLrMult", 1f),
        DecayMult: args.Float("DecayMult", 1f),
        BiasDecayMult: args.Float("BiasDecayMult", 1f));
}
