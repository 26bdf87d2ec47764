using Microsoft.CodeAnalysis;
using NetGen.Generator.Model;
using NetGen.Generator.Attributes;

namespace NetGen.Generator.Parsing;

/// <summary>
/// Turns one operation attribute into its spec, filling in the defaults. The attributes' own sources
/// are compiled into the generator (NetGen.Generator.Attributes), so names come from <c>nameof</c>
/// and every default from an attribute constructed here: nothing is restated.
/// </summary>
internal static class OperationReader
{
    public const string Namespace = "NetGen";

    /// <summary>Reads <paramref name="attribute"/>, or returns null when it is not an operation this generator knows.</summary>
    /// <param name="round">The network's rounding, for an operation that does not set its own.</param>
    public static OpSpec? Read(AttributeData attribute, AttributeArguments args, LocationInfo? location, Rounding round)
    {
        var type = attribute.AttributeClass;
        if (type is null || type.ContainingNamespace?.ToDisplayString() != Namespace)
            return null;
        switch (type.Name)
        {
            case nameof(ConvAttribute):
                var conv = new ConvAttribute(0);
                return new ConvSpec(
                    Filters: args.Int(0, "filters", conv.Filters),
                    Kernel: args.Int(nameof(conv.Kernel), conv.Kernel),
                    Stride: args.Int(nameof(conv.Stride), conv.Stride),
                    Pad: args.Int(nameof(conv.Pad), conv.Pad),
                    Groups: args.Int(nameof(conv.Groups), conv.Groups),
                    Round: (Rounding)args.Int(nameof(conv.Round), (int)round),
                    Learn: ReadLearn(args, conv),
                    Location: location);
            case nameof(DenseAttribute):
                var dense = new DenseAttribute(0);
                return new DenseSpec(args.Int(0, "units", dense.Units), ReadLearn(args, dense), location);
            case nameof(ReluAttribute):
                return new ReluSpec(location);
            case nameof(LrnAttribute):
                var lrn = new LrnAttribute(0);
                return new LrnSpec(
                    Size: args.Int(0, "size", lrn.Size),
                    Alpha: args.Float(nameof(lrn.Alpha), lrn.Alpha),
                    Beta: args.Float(nameof(lrn.Beta), lrn.Beta),
                    K: args.Float(nameof(lrn.K), lrn.K),
                    AlphaDividedBySize: args.Int(nameof(lrn.AlphaConvention), (int)lrn.AlphaConvention) == (int)LrnAlpha.DividedBySize,
                    Location: location);
            case nameof(MaxPoolAttribute):
            case nameof(AvgPoolAttribute):
                int window = args.Int(0, "window", 0);
                var pool = new MaxPoolAttribute(window);
                return new PoolSpec(
                    IsMax: type.Name == nameof(MaxPoolAttribute),
                    Window: window,
                    Stride: args.Int(nameof(pool.Stride), pool.Stride),
                    Pad: args.Int(nameof(pool.Pad), pool.Pad),
                    Round: (Rounding)args.Int(nameof(pool.Round), (int)round),
                    Location: location);
            case nameof(DropoutAttribute):
                return new DropoutSpec(args.Float(0, "rate", new DropoutAttribute(0f).Rate), location);
            case nameof(SoftmaxAttribute):
                return new SoftmaxSpec(location);
            default:
                return null; // not an operation this generator knows: NG0023 where it is an OperationAttribute
        }
    }

    /// <summary>Whether <paramref name="type"/> is a NetGen operation attribute (derives from OperationAttribute).</summary>
    public static bool IsOperation(INamedTypeSymbol? type)
    {
        for (var t = type; t is not null; t = t.BaseType)
            if (t.Name == nameof(OperationAttribute) && t.ContainingNamespace?.ToDisplayString() == Namespace)
                return true;
        return false;
    }

    private static LearnSpec ReadLearn(AttributeArguments args, LearnableAttribute defaults) => new(
        WeightStd: args.Float(nameof(defaults.WeightStd), defaults.WeightStd),
        BiasInit: args.Float(nameof(defaults.BiasInit), defaults.BiasInit),
        LrMult: args.Float(nameof(defaults.LrMult), defaults.LrMult),
        BiasLrMult: args.Float(nameof(defaults.BiasLrMult), defaults.BiasLrMult),
        DecayMult: args.Float(nameof(defaults.DecayMult), defaults.DecayMult),
        BiasDecayMult: args.Float(nameof(defaults.BiasDecayMult), defaults.BiasDecayMult));
}
