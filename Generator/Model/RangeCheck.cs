using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Attributes;

namespace NetGen.Generator.Model;

/// <summary>
/// The checks a setting must pass whatever comes before it (positive sizes, finite non-negative
/// multipliers, a known rounding), reported as NG0008 with the setting's name. Each operation
/// calls the ones its settings need; a rule of its own it reports through <see cref="Report"/>.
/// </summary>
internal sealed class RangeCheck(List<DiagnosticInfo> diagnostics)
{
    /// <summary>How many diagnostics have been reported so far: unchanged across a check means it passed.</summary>
    public int Count => diagnostics.Count;

    public void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo? at, params object[] arguments) =>
        diagnostics.Add(DiagnosticInfo.Create(descriptor, at, arguments));

    public void AtLeast(LocationInfo? at, string who, string name, int value, int minimum)
    {
        if (value < minimum)
            Out(at, who, name, Format.Int(value), minimum == 1 ? "at least 1" : $"at least {minimum}");
    }

    public void Positive(LocationInfo? at, string who, string name, float value)
    {
        if (!(value > 0f) || float.IsInfinity(value))
            Out(at, who, name, Format.Float(value), "a positive finite number");
    }

    public void NonNegative(LocationInfo? at, string who, string name, float value)
    {
        if (!(value >= 0f) || float.IsInfinity(value))
            Out(at, who, name, Format.Float(value), "zero or a positive finite number");
    }

    public void Finite(LocationInfo? at, string who, string name, float value)
    {
        if (float.IsNaN(value) || float.IsInfinity(value))
            Out(at, who, name, Format.Float(value), "a finite number");
    }

    public void Rounding(LocationInfo? at, string who, Attributes.Rounding round)
    {
        if (round is not (Attributes.Rounding.Exact or Attributes.Rounding.Floor or Attributes.Rounding.Ceil))
            Out(at, who, nameof(ConvAttribute.Round), Format.Int((int)round),
                $"{nameof(Attributes.Rounding)}.{Attributes.Rounding.Exact}, {nameof(Attributes.Rounding)}.{Attributes.Rounding.Floor} or {nameof(Attributes.Rounding)}.{Attributes.Rounding.Ceil}");
    }

    public void Init(LocationInfo? at, string who, Attributes.Init init)
    {
        if (!System.Enum.IsDefined(typeof(Attributes.Init), init))
            Out(at, who, nameof(LearnableAttribute.Init), Format.Int((int)init),
                "one of " + string.Join(", ", System.Enum.GetNames(typeof(Attributes.Init)).Select(n => $"{nameof(Attributes.Init)}.{n}")));
    }

    private void Out(LocationInfo? at, string who, string name, string value, string constraint) =>
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPositive, at, who, name, value, constraint));
}
