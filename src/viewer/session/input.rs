//! The window's input: egui first, then the keys, the drag that pans and the wheel that
//! zooms about the cursor.

use glam::DVec2;
use winit::event::{ElementState, KeyEvent, MouseButton, MouseScrollDelta, WindowEvent};
use winit::keyboard::{Key, NamedKey};

use super::{Flow, Session};
use crate::viewer::ViewerError;
use crate::viewer::panel::PanelAction;

/// Zoom factor of one notch of the mouse wheel.
const ZOOM_PER_NOTCH: f64 = 1.15;
/// Pixels of a precise (touchpad) scroll that count as one notch.
const PIXELS_PER_NOTCH: f64 = 40.0;

impl Session {
    pub fn handle_event(&mut self, event: WindowEvent) -> Result<Flow, ViewerError> {
        // egui requests a repaint after every redraw event, which would draw the panel at
        // every frame, so that event does not go to egui.
        if let WindowEvent::RedrawRequested = event {
            return self.frame();
        }
        let consumed = self.panel.on_window_event(&self.window, &event);
        match event {
            WindowEvent::CloseRequested => return Ok(Flow::Exit),
            WindowEvent::Resized(size) => self.surface.configure(&self.ctx, [size.width, size.height])?,
            WindowEvent::KeyboardInput { event, .. } if !consumed && !self.panel.wants_keyboard() => {
                return self.key(&event);
            }
            WindowEvent::CursorMoved { position, .. } => {
                self.cursor_moved(DVec2::new(position.x, position.y))
            }
            WindowEvent::CursorLeft { .. } => {
                self.cursor = None;
                self.drag_from = None;
            }
            WindowEvent::MouseInput { state, button: MouseButton::Left, .. } => match state {
                ElementState::Pressed if self.pointer_in_area() => self.drag_from = self.cursor,
                _ => self.drag_from = None,
            },
            WindowEvent::MouseWheel { delta, .. } if !consumed && self.pointer_in_area() => {
                let notches = match delta {
                    MouseScrollDelta::LineDelta(_, y) => f64::from(y),
                    MouseScrollDelta::PixelDelta(position) => position.y / PIXELS_PER_NOTCH,
                };
                self.zoom(ZOOM_PER_NOTCH.powf(notches));
            }
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn key(&mut self, event: &KeyEvent) -> Result<Flow, ViewerError> {
        if event.state != ElementState::Pressed || event.repeat {
            return Ok(Flow::Continue);
        }
        // The panel shows the values the keys change.
        self.panel.mark_dirty();
        match &event.logical_key {
            Key::Named(NamedKey::Escape) => return Ok(Flow::Exit),
            Key::Named(NamedKey::Space) => self.controls.paused = !self.controls.paused,
            Key::Character(text) => match text.to_lowercase().as_str() {
                "r" => self.apply(PanelAction::Restart)?,
                "s" => self.apply(PanelAction::Screenshot)?,
                "a" => self.controls.layers.arrows = !self.controls.layers.arrows,
                "c" => self.controls.layers.contours = !self.controls.layers.contours,
                _ => {}
            },
            _ => {}
        }
        Ok(Flow::Continue)
    }

    /// Returns whether the pointer is over the density area and not in use by the panel.
    fn pointer_in_area(&self) -> bool {
        let Some(cursor) = self.cursor else {
            return false;
        };
        let origin = DVec2::new(f64::from(self.area.origin[0]), f64::from(self.area.origin[1]));
        let size = DVec2::new(f64::from(self.area.size[0]), f64::from(self.area.size[1]));
        let inside = cursor.cmpge(origin).all() && cursor.cmplt(origin + size).all();
        inside && !self.panel.wants_pointer()
    }

    fn cursor_moved(&mut self, position: DVec2) {
        self.cursor = Some(position);
        if let (Some(from), Some(transform)) = (self.drag_from, &mut self.transform) {
            transform.pan(position - from);
            self.drag_from = Some(position);
        }
    }

    fn zoom(&mut self, factor: f64) {
        let (Some(cursor), Some(transform)) = (self.cursor, &mut self.transform) else {
            return;
        };
        let origin = DVec2::new(f64::from(self.area.origin[0]), f64::from(self.area.origin[1]));
        transform.zoom_about(self.area.size, cursor - origin, factor);
    }
}
