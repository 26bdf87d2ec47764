using System.Runtime.CompilerServices;
using ILGPU;

namespace NetGen.Cpu;

/// <summary>
/// A dense layer on the CPU. Every product is arranged so that the weight matrix (150 MB for
/// AlexNet's fc6) is streamed in place, row after row, and only the small batch-sized operand is
/// packed: outputs are computed transposed, <c>Y^T = W X^T</c>, and the input gradient as
/// <c>dX^T = W^T dY^T</c>.
/// </summary>
public static unsafe class CpuDense
{
    /// <summary>Forward: <c>output = relu?(input W^T + bias)</c>; input is batch x inputs, W is outputs x inputs; an empty <paramref name="bias"/> adds none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(int inputs, int outputs, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> output, int batch, bool relu)
    {
        float* x = Host.Pointer(input), y = Host.Pointer(output);
        Gemm.Multiply(outputs, batch, inputs,
            new Strided(Host.Pointer(weight), inputs, 1),
            new Strided(x, 1, inputs),
            new Strided(y, 1, outputs),
            rowBias: bias.Length == 0 ? null : Host.Pointer(bias), relu: relu);
    }

    /// <summary>
    /// Backward: adds the weight and bias gradients (the bias's when <paramref name="biasGradient"/> is not empty), and, when <paramref name="inputGradient"/> is
    /// not empty, writes the input's gradient. <paramref name="delta"/> is the output's gradient
    /// before the layer's epilogue, already masked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(int inputs, int outputs, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> delta,
        ArrayView<float> weightGradient, ArrayView<float> biasGradient, ArrayView<float> inputGradient, int batch)
    {
        float* x = Host.Pointer(input), w = Host.Pointer(weight), dy = Host.Pointer(delta);
        float* db = biasGradient.Length == 0 ? null : Host.Pointer(biasGradient);
        if (db is not null)
            Host.For(outputs, batch, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o) =>
            {
                float sum = 0f;
                for (int n = 0; n < batch; n++)
                    sum += dy[(long)n * outputs + o];
                db[o] += sum;
            });
        // dW (outputs x inputs) += dY^T (outputs x batch) . X (batch x inputs)
        Gemm.Multiply(outputs, inputs, batch,
            new Strided(dy, 1, outputs),
            new Strided(x, inputs, 1),
            new Strided(Host.Pointer(weightGradient), inputs, 1),
            accumulate: true);
        if (inputGradient.Length == 0)
            return;
        // dX^T (inputs x batch) = W^T (inputs x outputs) . dY^T (outputs x batch)
        Gemm.Multiply(inputs, batch, outputs,
            new Strided(w, 1, inputs),
            new Strided(dy, 1, outputs),
            new Strided(Host.Pointer(inputGradient), 1, inputs));
    }
}
