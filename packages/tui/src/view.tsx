import { Box, Static, Text, useStderr, type TextProps } from 'ink';
import { useLayoutEffect, type ReactNode } from 'react';
import type { Glyphs } from './glyphs.js';
import type { Line, Style } from './layout.js';
import type { PrintedLine } from './state.js';
import { toAscii } from './text.js';

/** Ink text props for each style. */
const LOOK: Record<Style, TextProps> = {
  ok: { color: 'green' },
  fail: { color: 'red' },
  warn: { color: 'yellow' },
  dim: { dimColor: true },
  run: { color: 'cyan' },
  retry: { color: 'magenta' },
  bold: { bold: true },
  title: { bold: true, color: 'cyan' },
};

/** How text is drawn: in colour or not, and whether only ASCII may appear. */
interface Look {
  color: boolean;
  asciiOnly: boolean;
}

/** Props of {@link MonitorView}. */
export interface MonitorViewProps {
  /** Every line printed so far; each is drawn once, above the live area. A new array when one is added. */
  printed: readonly PrintedLine[];
  /** The live area. */
  frame: readonly Line[];
  /** Wrap long frame lines instead of cutting them (the closing frame, which must not lose words). */
  wrap: boolean;
  glyphs: Glyphs;
  color: boolean;
  /** Receives Ink's stderr writer, which writes above the live area without tearing it. */
  onStderr: (write: (data: string) => void) => void;
}

function styled(raw: string, style: Style | undefined, look: Look, key?: number): ReactNode {
  const text = look.asciiOnly ? toAscii(raw) : raw;
  return look.color && style ? (
    <Text key={key} {...LOOK[style]}>
      {text}
    </Text>
  ) : (
    <Text key={key}>{text}</Text>
  );
}

/**
 * The monitor: the printed lines once each (Ink's `<Static>`), then the live area, one
 * truncated text line per frame line.
 */
export function MonitorView({ printed, frame, wrap, glyphs, color, onStderr }: MonitorViewProps) {
  const { write } = useStderr();
  // A layout effect runs as the app mounts, so no write falls between two Ink instances.
  useLayoutEffect(() => onStderr(write), [onStderr, write]);
  const look: Look = { color, asciiOnly: glyphs.asciiOnly };
  return (
    <>
      <Static items={printed as PrintedLine[]}>
        {(line, i) => (
          <Text key={i}>
            {styled(line.mark ? glyphs[line.mark] : ' ', line.tone, look)}
            {styled(` ${line.text}`, line.tone === 'dim' ? 'dim' : undefined, look)}
          </Text>
        )}
      </Static>
      <Box flexDirection="column">
        {frame.map((line, i) => (
          <Text key={i} wrap={wrap ? 'wrap' : 'truncate-end'}>
            {line.map((seg, j) => styled(seg.text, seg.style, look, j))}
          </Text>
        ))}
      </Box>
    </>
  );
}
