using System.Collections.Generic;
using NetGen.Generator.Attributes;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Model;
using NetGen.Generator.Parsing;

namespace NetGen.Generator.Operations;

/// <summary>The settings every learnable operation shares: how its tensors start, how the optimiser treats them, and what it reads.</summary>
/// <param name="Init">The preset its weights are drawn by: its own, else the network's.</param>
/// <param name="WeightStdSet">Whether the attribute sets WeightStd, which only <see cref="Init.Gaussian"/> reads (NG0025).</param>
/// <param name="BiasInitSet">Whether the attribute sets BiasInit, which <see cref="Init.PyTorchDefault"/> then keeps instead of drawing the bias.</param>
/// <param name="Bias">Whether it has a bias tensor (PyTorch's <c>bias=False</c>: none at all).</param>
/// <param name="Input">The earlier layer it reads (<c>Input = nameof(Stem)</c>), or null for the previous one.</param>
internal sealed record Learning(float WeightStd, float BiasInit, float LrMult, float BiasLrMult, float DecayMult, float BiasDecayMult,
    Init Init = Init.Gaussian, bool WeightStdSet = false, bool BiasInitSet = false, bool Bias = true, string? Input = null)
{
    /// <summary>Reads the settings every learnable attribute shares, with its own defaults and the network's <paramref name="init"/>.</summary>
    public static Learning Read(AttributeArguments args, LearnableAttribute defaults, Init init) => new(
        WeightStd: args.Float(nameof(defaults.WeightStd), defaults.WeightStd),
        BiasInit: args.Float(nameof(defaults.BiasInit), defaults.BiasInit),
        LrMult: args.Float(nameof(defaults.LrMult), defaults.LrMult),
        BiasLrMult: args.Float(nameof(defaults.BiasLrMult), defaults.BiasLrMult),
        DecayMult: args.Float(nameof(defaults.DecayMult), defaults.DecayMult),
        BiasDecayMult: args.Float(nameof(defaults.BiasDecayMult), defaults.BiasDecayMult),
        Init: (Init)args.Int(nameof(defaults.Init), (int)init),
        WeightStdSet: args.Has(nameof(defaults.WeightStd)),
        BiasInitSet: args.Has(nameof(defaults.BiasInit)),
        Bias: args.Bool(nameof(defaults.Bias), defaults.Bias),
        Input: args.String(-1, nameof(defaults.Input), defaults.Input));

    public void Check(RangeCheck check, LocationInfo? at, string who)
    {
        check.Positive(at, who, nameof(LearnableAttribute.WeightStd), WeightStd);
        check.Finite(at, who, nameof(LearnableAttribute.BiasInit), BiasInit);
        check.NonNegative(at, who, nameof(LearnableAttribute.LrMult), LrMult);
        check.NonNegative(at, who, nameof(LearnableAttribute.BiasLrMult), BiasLrMult);
        check.NonNegative(at, who, nameof(LearnableAttribute.DecayMult), DecayMult);
        check.NonNegative(at, who, nameof(LearnableAttribute.BiasDecayMult), BiasDecayMult);
        check.Init(at, who, Init);
        if (WeightStdSet && Init is not Init.Gaussian && System.Enum.IsDefined(typeof(Init), Init))
            check.Report(DiagnosticDescriptors.WeightStdIgnored, at, who, Format.Float(WeightStd), Init);
    }

    /// <summary>
    /// How the weight of dimensions <paramref name="weight"/> starts, a zero-mean Gaussian of Std or
    /// a uniform draw in [-Bound, Bound) (the other 0), by PyTorch's fan_in and fan_out
    /// (<c>_calculate_fan_in_and_fan_out</c>: the second and first dimensions times the product of
    /// the rest, so a grouped convolution's fan_in is its group's and its fan_out all its filters').
    /// </summary>
    public (float Std, float Bound) WeightDraw(EquatableArray<int> weight)
    {
        var (fanIn, fanOut) = Fans(weight);
        return Init switch
        {
            Init.HeNormal => ((float)System.Math.Sqrt(2.0 / fanIn), 0f),
            Init.HeNormalFanOut => ((float)System.Math.Sqrt(2.0 / fanOut), 0f),
            Init.XavierUniform => (0f, (float)System.Math.Sqrt(6.0 / (fanIn + fanOut))),
            Init.XavierNormal => ((float)System.Math.Sqrt(2.0 / (fanIn + fanOut)), 0f),
            Init.PyTorchDefault => (0f, (float)(1.0 / System.Math.Sqrt(fanIn))),
            _ => (WeightStd, 0f),
        };
    }

    /// <summary>The bias's uniform bound: PyTorch's own 1/sqrt(fan_in) under <see cref="Init.PyTorchDefault"/> when BiasInit is left out, else 0 (the constant BiasInit).</summary>
    public float BiasBound(EquatableArray<int> weight) =>
        Init == Init.PyTorchDefault && !BiasInitSet ? (float)(1.0 / System.Math.Sqrt(Fans(weight).In)) : 0f;

    private static (double In, double Out) Fans(EquatableArray<int> weight)
    {
        double receptive = 1;
        for (int i = 2; i < weight.Count; i++)
            receptive *= weight[i];
        return (weight[1] * receptive, weight[0] * receptive);
    }
}

/// <summary>
/// The operation a layer starts with: a weight and a bias (unless <c>Bias = false</c>), both
/// trained, named as PyTorch names them (<c>conv1.weight</c>, <c>conv1.bias</c>). Its outputs are
/// a layer's channels, and the network's classes when it ends the network.
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

    public override IReadOnlyList<TensorSpec> Tensors(Shape input, Shape output)
    {
        var dimensions = WeightDimensions(input);
        var (std, bound) = Learn.WeightDraw(dimensions);
        var weight = new TensorSpec("weight", dimensions, 0f, std, Learn.LrMult, Learn.DecayMult, Trainable: true, InitBound: bound);
        if (!Learn.Bias)
            return [weight];
        return [weight, new("bias", new[] { Outputs }.ToEquatableArray(), Learn.BiasInit, 0f, Learn.BiasLrMult, Learn.BiasDecayMult, Trainable: true, InitBound: Learn.BiasBound(dimensions))];
    }

    /// <summary>Whether it has a bias tensor (<c>Bias = false</c>: none).</summary>
    public bool HasBias => Learn.Bias;

    public override string? NamedInput => Learn.Input;

    /// <summary>", no bias" when it has none, and ", reads stem" when it reads an earlier layer, for <see cref="Operation.Describe"/>.</summary>
    protected string BiasAndInputSuffix => (Learn.Bias ? "" : ", no bias") + (Learn.Input is { } input ? $", reads {input.ToLowerInvariant()}" : "");

    public override IReadOnlyList<int> InputGradientTensors => [WeightTensor];

    public override bool TensorGradientReadsInput(int tensor) => tensor == WeightTensor;

    public override string TensorGradientIndexDoc(int tensor) =>
        tensor == WeightTensor ? "One thread per weight, in the weight's layout." : "One thread per bias.";

    public override bool FusesReluOnCpu => true;
}
