using System;
using System.Linq;
using NetGen.Networks;
using Xunit;

namespace NetGen.Tests.Gpu;

/// <summary>
/// Whole networks on the ILGPU backend with the kernel library against the generated kernels it
/// replaces, on the <c>ilgpu-gpu</c> device (ILGPU's CPU accelerator shaped like an NVIDIA GPU):
/// one step's parameter gradients from the same weights and images. The forward pass and every
/// activation gradient are the generated kernels' on both sides, so the tensor gradients differ
/// only in the order the library sums them.
/// </summary>
public sealed class LibraryStepTests
{
    [Theory]
    [InlineData("minialexnet")]
    [InlineData("resnet8")]
    public void StepGradientsEqualTheGeneratedKernels(string name)
    {
        using var device = Device.Open("ilgpu-gpu");
        var (library, info) = Gradients(device, name, useLibrary: true);
        var (generated, _) = Gradients(device, name, useLibrary: false);
        Assert.False(library.SequenceEqual(generated), "the same bits on both sides: the library was not launched");
        foreach (var tensor in info.Parameters.Where(t => t.Trainable))
        {
            var a = library.AsSpan((int)tensor.Offset, (int)tensor.Count).ToArray();
            var b = generated.AsSpan((int)tensor.Offset, (int)tensor.Count).ToArray();
            double scale = b.Max(v => Math.Abs((double)v)), worst = a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
            Assert.True(scale > 0, $"{tensor.Name}: the generated kernels' gradient is all zero, so it tests nothing");
            Assert.True(worst <= 1e-5 * scale, $"{tensor.Name}: the library's gradient is {worst / scale:E2} of its largest value away from the generated kernels'");
        }
    }

    [Fact]
    public void TheCpuAcceleratorsSmallGroupsKeepTheGeneratedKernels()
    {
        using var device = Device.Open("ilgpu-cpu");
        using var net = new MiniAlexNet(device, 1);
        Assert.False(net.UsesKernelLibrary);
        Assert.Throws<InvalidOperationException>(() => net.UsesKernelLibrary = true);
    }

    private static (float[] Gradients, NetworkInfo Info) Gradients(Device device, string name, bool useLibrary)
    {
        using Network net = name == "resnet8" ? new ResNet8(device, 5) : new MiniAlexNet(device, 5);
        Assert.True(net.UsesKernelLibrary, "ilgpu-gpu runs groups of 256, so the library is on by default");
        net.UsesKernelLibrary = useLibrary;
        using var trainer = new Trainer(net, seed: 6);
        const int batch = 2;
        var images = Enumerable.Range(0, batch * net.Info.Input.Size).Select(i => CounterHash.Uniform(7, 0, (ulong)i) * 2f - 1f).ToArray();
        int[] labels = [3, 8];
        trainer.ComputeGradients(images, labels, dropout: false);
        return (trainer.ReadGradients(), net.Info);
    }
}
