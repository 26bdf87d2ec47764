using System;

#if NETGEN_GENERATOR
namespace NetGen.Generator.Attributes;
#else
namespace NetGen;
#endif

/// <summary>Leaky ReLU, as PyTorch's <c>nn.LeakyReLU</c>: <c>x</c> where positive, <c>slope * x</c> elsewhere.</summary>
/// <param name="slope">The gradient below zero (PyTorch's <c>negative_slope</c>).</param>
public sealed class LeakyReluAttribute(float slope = 0.01f) : OperationAttribute
{
    /// <summary>The gradient below zero.</summary>
    public float Slope { get; } = slope;
}

/// <summary>Exponential linear unit, as PyTorch's <c>nn.ELU</c>: <c>x</c> where positive, <c>alpha * (exp(x) - 1)</c> elsewhere.</summary>
/// <param name="alpha">The value it approaches far below zero, negated.</param>
public sealed class EluAttribute(float alpha = 1f) : OperationAttribute
{
    /// <summary>The value it approaches far below zero, negated.</summary>
    public float Alpha { get; } = alpha;
}

/// <summary>
/// Gaussian error linear unit in its tanh approximation, as PyTorch's <c>nn.GELU(approximate='tanh')</c>:
/// <c>0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))</c>.
/// </summary>
public sealed class GeluAttribute : OperationAttribute
{
}

/// <summary>The logistic sigmoid, <c>1 / (1 + exp(-x))</c>.</summary>
public sealed class SigmoidAttribute : OperationAttribute
{
}

/// <summary>The hyperbolic tangent.</summary>
public sealed class TanhAttribute : OperationAttribute
{
}
