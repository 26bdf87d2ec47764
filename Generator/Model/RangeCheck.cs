using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Attributes;

namespace NetGen.Generator.Model;

/// <summary>
/// The checks an operation's own settings must pass, whatever comes before it: positive sizes,
/// finite non-negative multipliers, a dropout rate in [0, 1), an odd LRN window.
/// </summary>
internal sealed class RangeCheck(List<DiagnosticInfo> diagnostics)
{
    /// <summary>Checks every setting of <paramref name="op"/>; false when any is out of range.</summary>
    public bool Operation(OpSpec op, string who)
    {
        int before = diagnostics.Count;
        var at = op.Location;
        switch (op)
        {
            case ConvSpec c:
                AtLeast(at, who, "filters", c.Filters, 1);
                AtLeast(at, who, nameof(ConvAttribute.Kernel), c.Kernel, 1);
                AtLeast(at, who, nameof(ConvAttribute.Stride), c.Stride, 1);
                AtLeast(at, who, nameof(ConvAttribute.Pad), c.Pad, 0);
                AtLeast(at, who, nameof(ConvAttribute.Groups), c.Groups, 1);
                Rounding(at, who, c.Round);
                Learnable(at, who, c.Learn);
                break;
            case DenseSpec d:
                AtLeast(at, who, "units", d.Units, 1);
                Learnable(at, who, d.Learn);
                break;
            case LrnSpec l:
                AtLeast(at, who, "size", l.Size, 1);
                NonNegative(at, who, nameof(LrnAttribute.Alpha), l.Alpha);
                NonNegative(at, who, nameof(LrnAttribute.Beta), l.Beta);
                Positive(at, who, nameof(LrnAttribute.K), l.K);
                if (l.Size > 0 && l.Size % 2 == 0)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LrnEvenSize, at, who, l.Size, l.Size + 1));
                break;
            case PoolSpec p:
                AtLeast(at, who, "window", p.Window, 1);
                AtLeast(at, who, nameof(PoolAttribute.Stride), p.Stride, 1);
                AtLeast(at, who, nameof(PoolAttribute.Pad), p.Pad, 0);
                Rounding(at, who, p.Round);
                if (p.Window > 0 && p.Pad > p.Window / 2)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PoolPadTooLarge, at, who, op.AttributeName, p.Pad, p.Window, p.Window / 2));
                break;
            case DropoutSpec d:
                if (!(d.Rate >= 0f && d.Rate < 1f))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropoutRate, at, who, Format.Float(d.Rate)));
                break;
        }
        return diagnostics.Count == before;
    }

    public void AtLeast(LocationInfo? at, string who, string name, int value, int minimum)
    {
        if (value < minimum)
            Report(at, who, name, Format.Int(value), minimum == 1 ? "at least 1" : $"at least {minimum}");
    }

    private void Learnable(LocationInfo? at, string who, LearnSpec learn)
    {
        Positive(at, who, nameof(LearnableAttribute.WeightStd), learn.WeightStd);
        if (float.IsNaN(learn.BiasInit) || float.IsInfinity(learn.BiasInit))
            Report(at, who, nameof(LearnableAttribute.BiasInit), Format.Float(learn.BiasInit), "a finite number");
        NonNegative(at, who, nameof(LearnableAttribute.LrMult), learn.LrMult);
        NonNegative(at, who, nameof(LearnableAttribute.BiasLrMult), learn.BiasLrMult);
        NonNegative(at, who, nameof(LearnableAttribute.DecayMult), learn.DecayMult);
        NonNegative(at, who, nameof(LearnableAttribute.BiasDecayMult), learn.BiasDecayMult);
    }

    private void Positive(LocationInfo? at, string who, string name, float value)
    {
        if (!(value > 0f) || float.IsInfinity(value))
            Report(at, who, name, Format.Float(value), "a positive finite number");
    }

    private void NonNegative(LocationInfo? at, string who, string name, float value)
    {
        if (!(value >= 0f) || float.IsInfinity(value))
            Report(at, who, name, Format.Float(value), "zero or a positive finite number");
    }

    public void Rounding(LocationInfo? at, string who, Attributes.Rounding round)
    {
        if (round is not (Attributes.Rounding.Exact or Attributes.Rounding.Floor or Attributes.Rounding.Ceil))
            Report(at, who, nameof(ConvAttribute.Round), Format.Int((int)round),
                $"{nameof(Attributes.Rounding)}.{Attributes.Rounding.Exact}, {nameof(Attributes.Rounding)}.{Attributes.Rounding.Floor} or {nameof(Attributes.Rounding)}.{Attributes.Rounding.Ceil}");
    }

    private void Report(LocationInfo? at, string who, string name, string value, string constraint) =>
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPositive, at, who, name, value, constraint));
}
