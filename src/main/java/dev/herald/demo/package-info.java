/** Server side of the demo pages: the simulated stock feed behind the ticker page. The chat needs no server code. */
package dev.herald.demo;
