#if NETGEN_GENERATOR
// The generator compiles these sources in (Generator/NetGen.Generator.csproj) to read attributes by
// their own names and defaults; in its own namespace, so no project sees two NetGen attributes.
namespace NetGen.Generator.Attributes;
#else
namespace NetGen;
#endif

/// <summary>
/// The rule that turns a step's gradients into new weights, as PyTorch's <c>torch.optim</c> names it
/// (<c>--optimizer sgd|adam|adamw</c>). Each tensor's learning rate and decay are scaled by its own
/// multipliers (Caffe's lr_mult and decay_mult) whichever rule runs; docs/training.md states each rule.
/// </summary>
public enum Optimizer
{
    /// <summary>
    /// SGD with momentum and L2 weight decay, the paper's rule: <c>v &lt;- m v - lr decay w - lr g; w &lt;- w + v</c>
    /// (<c>torch.optim.SGD</c> with the learning rate folded into the velocity). The default.
    /// </summary>
    Sgd = 0,

    /// <summary><c>torch.optim.Adam</c>: bias-corrected first and second moments, weight decay added to the gradient (L2).</summary>
    Adam = 1,

    /// <summary><c>torch.optim.AdamW</c>: Adam with decoupled weight decay, <c>w &lt;- w (1 - lr decay)</c> before the step.</summary>
    AdamW = 2,
}
