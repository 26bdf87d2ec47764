using System;

namespace NetGen;

/// <summary>
/// One update's settings for one tensor, as the kernels take them: the rule, the learning rate and
/// decay after the tensor's multipliers, and the optimiser's step count <paramref name="Step"/> (Adam's t,
/// 1 on the first update). <see cref="ParameterUpdate"/> makes one per step; the columns of a split
/// network apply the same one to their rows. <paramref name="DecayAll"/> false leaves the weight decay
/// off every one-dimensional tensor: biases and batch normalisation's scales and shifts.
/// </summary>
public readonly record struct UpdateRule(Optimizer Kind, float LearningRate, float WeightDecay, float Momentum, bool Nesterov,
    float Beta1, float Beta2, float Epsilon, long Step, bool DecayAll = true)
{
    /// <summary>
    /// This rule for <paramref name="tensor"/>: its learning rate times its LrMult, its decay times its
    /// DecayMult, or no decay for a one-dimensional tensor unless <see cref="DecayAll"/>.
    /// </summary>
    public UpdateRule For(ParameterInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        float decayMult = DecayAll || !IsVector(tensor) ? tensor.DecayMult : 0f;
        return this with { LearningRate = LearningRate * tensor.LrMult, WeightDecay = WeightDecay * decayMult };
    }

    /// <summary>
    /// A tensor of at most one dimension (a bias, batch normalisation's weight or bias): what the usual
    /// recipes leave out of the weight decay (timm's <c>param_groups_weight_decay</c>, for one), since
    /// shrinking it toward zero does not limit what the network can express, only shifts or rescales it.
    /// </summary>
    public static bool IsVector(ParameterInfo tensor) => tensor.Dimensions.Count <= 1;

    /// <summary>
    /// Adam's and AdamW's per-tensor numbers, worked out in double and rounded once, as PyTorch does with
    /// its Python floats (<c>_single_tensor_adam</c>): <c>step_size = lr / (1 - b1^t)</c>,
    /// <c>sqrt(1 - b2^t)</c>, the L2 decay added to the gradient (Adam's; 0 for AdamW) and the factor
    /// <c>1 - lr decay</c> that shrinks the weights first (AdamW's; 1 for Adam).
    /// </summary>
    public AdamScalars Adam()
    {
        if (Step < 1)
            throw new InvalidOperationException($"Adam's step count starts at 1 on the first update, not {Step}.");
        double b1 = Beta1, b2 = Beta2;
        bool decoupled = Kind == Optimizer.AdamW;
        return new AdamScalars(
            StepSize: (float)(LearningRate / (1 - Math.Pow(b1, Step))),
            Correction2: (float)Math.Sqrt(1 - Math.Pow(b2, Step)),
            Decay: decoupled ? 0f : WeightDecay,
            Shrink: decoupled ? (float)(1 - (double)LearningRate * WeightDecay) : 1f,
            Beta1: Beta1, OneMinusBeta1: (float)(1 - b1), Beta2: Beta2, OneMinusBeta2: (float)(1 - b2), Epsilon: Epsilon);
    }
}

/// <summary>
/// The numbers each Adam update of a tensor takes (see <see cref="UpdateRule.Adam"/>); per element,
/// in this order on both backends: <c>w' = w Shrink</c>, <c>g' = g + Decay w'</c>,
/// <c>m = Beta1 m + OneMinusBeta1 g'</c>, <c>v = Beta2 v + OneMinusBeta2 g' g'</c>,
/// <c>w = w' - StepSize (m / (sqrt(v) / Correction2 + Epsilon))</c>.
/// </summary>
public readonly record struct AdamScalars(float StepSize, float Correction2, float Decay, float Shrink,
    float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float Epsilon);
