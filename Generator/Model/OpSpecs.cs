using NetGen.Generator.Attributes;

namespace NetGen.Generator.Model;

/// <summary>
/// One operation as written on a layer member, with every default filled in. The location is the
/// attribute's, for diagnostics; the model strips it so that moving code regenerates nothing.
/// </summary>
internal abstract record OpSpec(LocationInfo? Location)
{
    /// <summary>Lower-case kind: conv, dense, relu, lrn, maxpool, avgpool, dropout, softmax.</summary>
    public abstract string Kind { get; }

    /// <summary>The attribute as a user would write its name: Conv, Dense, ...</summary>
    public abstract string AttributeName { get; }

    /// <summary>Parameter-free operations that act on each value alone fuse into the kernel before them.</summary>
    public virtual bool IsElementwise => false;

    public virtual bool IsLearnable => false;

    /// <summary>Whether the operation needs height and width (so cannot follow a dense layer).</summary>
    public virtual bool IsSpatial => false;

    /// <summary>What the operation does, with its settings, for tables and generated comments.</summary>
    public abstract string Describe();
}

/// <summary>How a learnable operation starts and how the optimiser treats it.</summary>
internal sealed record LearnSpec(float WeightStd, float BiasInit, float LrMult, float BiasLrMult, float DecayMult, float BiasDecayMult);

internal abstract record LearnableSpec(LearnSpec Learn, LocationInfo? Location) : OpSpec(Location)
{
    public override bool IsLearnable => true;

    /// <summary>Filters or units: the channels of its output.</summary>
    public abstract int Outputs { get; }

    /// <summary>What it counts ("filters", "units"), for messages.</summary>
    public abstract string OutputsName { get; }

    /// <summary>The same operation with <paramref name="outputs"/> filters or units (a network's <c>Classes</c>).</summary>
    public abstract LearnableSpec WithOutputs(int outputs);
}

internal sealed record ConvSpec(int Filters, int Kernel, int Stride, int Pad, int Groups, Rounding Round, LearnSpec Learn, LocationInfo? Location)
    : LearnableSpec(Learn, Location)
{
    public override string Kind => "conv";
    public override string AttributeName => "Conv";
    public override bool IsSpatial => true;
    public override int Outputs => Filters;
    public override string OutputsName => "filters";
    public override LearnableSpec WithOutputs(int outputs) => this with { Filters = outputs };

    public override string Describe() =>
        $"conv {Filters}, {Kernel}x{Kernel}"
        + (Stride != 1 ? $", stride {Stride}" : "")
        + (Pad != 0 ? $", pad {Pad}" : "")
        + (Groups != 1 ? $", groups {Groups}" : "")
        + Format.RoundingSuffix(Round);
}

internal sealed record DenseSpec(int Units, LearnSpec Learn, LocationInfo? Location) : LearnableSpec(Learn, Location)
{
    public override string Kind => "dense";
    public override string AttributeName => "Dense";
    public override int Outputs => Units;
    public override string OutputsName => "units";
    public override LearnableSpec WithOutputs(int outputs) => this with { Units = outputs };
    public override string Describe() => $"dense {Units}";
}

internal sealed record ReluSpec(LocationInfo? Location) : OpSpec(Location)
{
    public override string Kind => "relu";
    public override string AttributeName => "Relu";
    public override bool IsElementwise => true;
    public override string Describe() => "relu";
}

internal sealed record LrnSpec(int Size, float Alpha, float Beta, float K, bool AlphaDividedBySize, LocationInfo? Location) : OpSpec(Location)
{
    public override string Kind => "lrn";
    public override string AttributeName => "Lrn";

    /// <summary>The alpha that multiplies the sum of squares in the kernel.</summary>
    public float EffectiveAlpha => AlphaDividedBySize ? Alpha / Size : Alpha;

    public override string Describe() =>
        $"lrn {Size}, alpha {Format.Float(Alpha)}{(AlphaDividedBySize ? "/n" : "")}, beta {Format.Float(Beta)}, k {Format.Float(K)}";
}

internal sealed record PoolSpec(bool IsMax, int Window, int Stride, int Pad, Rounding Round, LocationInfo? Location) : OpSpec(Location)
{
    public override string Kind => IsMax ? "maxpool" : "avgpool";
    public override string AttributeName => IsMax ? "MaxPool" : "AvgPool";
    public override bool IsSpatial => true;

    public override string Describe() =>
        $"{(IsMax ? "max" : "avg")} pool {Window}"
        + (Stride != Window ? $", stride {Stride}" : "")
        + (Pad != 0 ? $", pad {Pad}" : "")
        + Format.RoundingSuffix(Round);
}

internal sealed record DropoutSpec(float Rate, LocationInfo? Location) : OpSpec(Location)
{
    public override string Kind => "dropout";
    public override string AttributeName => "Dropout";
    public override bool IsElementwise => true;
    public override string Describe() => $"dropout {Format.Float(Rate)}";
}

internal sealed record SoftmaxSpec(LocationInfo? Location) : OpSpec(Location)
{
    public override string Kind => "softmax";
    public override string AttributeName => "Softmax";
    public override string Describe() => "softmax";
}
