using System.Collections.Generic;
using NetGen.Generator.Attributes;
using NetGen.Generator.Model;
using NetGen.Generator.Parsing;

namespace NetGen.Generator.Operations;

/// <summary>How a learnable operation's tensors start and how the optimiser treats them.</summary>
internal sealed record Learning(float WeightStd, float BiasInit, float LrMult, float BiasLrMult, float DecayMult, float BiasDecayMult)
{
    /// <summary>Reads the settings every learnable attribute shares, with its own defaults.</summary>
    public static Learning Read(AttributeArguments args, LearnableAttribute defaults) => new(
        WeightStd: args.Float(nameof(defaults.WeightStd), defaults.WeightStd),
        BiasInit: args.Float(nameof(defaults.BiasInit), defaults.BiasInit),
        LrMult: args.Float(nameof(defaults.LrMult), defaults.LrMult),
        BiasLrMult: args.Float(nameof(defaults.BiasLrMult), defaults.BiasLrMult),
        DecayMult: args.Float(nameof(defaults.DecayMult), defaults.DecayMult),
        BiasDecayMult: args.Float(nameof(defaults.BiasDecayMult), defaults.BiasDecayMult));

    public void Check(RangeCheck check, LocationInfo? at, string who)
    {
        check.Positive(at, who, nameof(LearnableAttribute.WeightStd), WeightStd);
        check.Finite(at, who, nameof(LearnableAttribute.BiasInit), BiasInit);
        check.NonNegative(at, who, nameof(LearnableAttribute.LrMult), LrMult);
        check.NonNegative(at, who, nameof(LearnableAttribute.BiasLrMult), BiasLrMult);
        check.NonNegative(at, who, nameof(LearnableAttribute.DecayMult), DecayMult);
        check.NonNegative(at, who, nameof(LearnableAttribute.BiasDecayMult), BiasDecayMult);
    }
}

/// <summary>
/// The operation a layer starts with: a weight and a bias, both trained, named as PyTorch names
/// them (<c>conv1.weight</c>, <c>conv1.bias</c>). Its outputs are a layer's channels, and the
/// network's classes when it ends the network.
/// </summary>
internal abstract record LearnableOperation(Learning Learn, LocationInfo? Location) : MainOperation(Location)
{
    public const int WeightTensor = 0, BiasTensor = 1;

    /// <summary>Filters or units: the channels of its output.</summary>
    public abstract int Outputs { get; }

    /// <summary>What it counts ("filters", "units"), for messages.</summary>
    public abstract string OutputsName { get; }

    /// <summary>The same operation with <paramref name="outputs"/> filters or units (a network's <c>Classes</c>).</summary>
    public abstract LearnableOperation WithOutputs(int outputs);

    /// <summary>The weight's dimensions in PyTorch's layout for <paramref name="input"/>.</summary>
    protected abstract EquatableArray<int> WeightDimensions(Shape input);

    public override IReadOnlyList<TensorSpec> Tensors(Shape input, Shape output) =>
    [
        new("weight", WeightDimensions(input), 0f, Learn.WeightStd, Learn.LrMult, Learn.DecayMult, Trainable: true),
        new("bias", new[] { Outputs }.ToEquatableArray(), Learn.BiasInit, 0f, Learn.BiasLrMult, Learn.BiasDecayMult, Trainable: true),
    ];

    public override IReadOnlyList<int> InputGradientTensors => [WeightTensor];

    public override bool TensorGradientReadsInput(int tensor) => tensor == WeightTensor;

    public override string TensorGradientIndexDoc(int tensor) =>
        tensor == WeightTensor ? "One thread per weight, in the weight's layout." : "One thread per bias.";

    public override bool FusesReluOnCpu => true;
}
